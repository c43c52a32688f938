"""Offline tooling: evaluate the program under Pulumi's mock engine and plan a stack file, with no cloud.

* :mod:`.engine`: the mock-engine harness (the only code touching ``pulumi.runtime`` internals);
* :mod:`.stack_file`: read a stack file as Pulumi reads it;
* :mod:`.plan`: what a stack file would declare; :mod:`.render`: the plan as a tree, markdown, a summary.
"""
