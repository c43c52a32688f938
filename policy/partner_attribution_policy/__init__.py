"""The partner-attribution policy pack: every stack of a partner held to Partner Admin Link attribution.

* :mod:`.graph`: the stack as a resource graph (who is linked, who holds which role), no Pulumi types.
* :mod:`.config`: each policy's configuration schema and the parser that applies it.
* :mod:`.policies`: the policies as plain functions of a graph, a configuration and a date.
* :mod:`.pack`: the adapter to ``pulumi_policy`` (``StackValidationPolicy`` objects); ``policy/__main__.py`` serves them.
"""
