// Command rehearse runs landingzone.Program inline through the Go Automation API:
//
//	rehearse up|preview|preview-refresh|destroy WORK_DIR [STACK]
//
// with the caller's environment (backend, passphrase, plugins on PATH, credentials). Prints one JSON line: the
// command's result, or {"error": ..., "exitCode": ...} (the CLI's exit code: 7 is drift).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"partnerattribution.local/examples/go/landingzone"
)

func run(ctx context.Context, command, workDir, stackName string) (any, error) {
	project := workspace.Project{Name: "partner-attribution-go", Runtime: workspace.NewProjectRuntimeInfo("go", nil)}
	stack, err := auto.UpsertStackInlineSource(ctx, stackName, project.Name.String(), landingzone.Program,
		auto.WorkDir(workDir), auto.Project(project), auto.SecretsProvider("passphrase"))
	if err != nil {
		return nil, err
	}
	switch command {
	case "up":
		result, err := stack.Up(ctx)
		if err != nil {
			return nil, err
		}
		return map[string]any{"summary": result.Summary, "outputs": result.Outputs}, nil
	case "preview":
		result, err := stack.Preview(ctx, optpreview.ExpectNoChanges())
		if err != nil {
			return nil, err
		}
		return map[string]any{"changeSummary": result.ChangeSummary}, nil
	case "preview-refresh":
		result, err := stack.Preview(ctx, optpreview.ExpectNoChanges(), optpreview.Refresh(), optpreview.Diff())
		if err != nil {
			return nil, err
		}
		return map[string]any{"changeSummary": result.ChangeSummary}, nil
	case "destroy":
		result, err := stack.Destroy(ctx, optdestroy.Remove())
		if err != nil {
			return nil, err
		}
		return map[string]any{"summary": result.Summary}, nil
	}
	return nil, fmt.Errorf("unknown command %q: up, preview, preview-refresh or destroy", command)
}

var exitCode = regexp.MustCompile(`exit status (\d+)|exit code (\d+)|code: (\d+)`)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: rehearse up|preview|preview-refresh|destroy WORK_DIR [STACK]")
		os.Exit(2)
	}
	stackName := "dev"
	if len(os.Args) > 3 {
		stackName = os.Args[3]
	}
	result, err := run(context.Background(), os.Args[1], os.Args[2], stackName)
	if err != nil {
		answer := map[string]any{"error": err.Error(), "exitCode": nil}
		if match := exitCode.FindStringSubmatch(err.Error()); match != nil {
			for _, group := range match[1:] {
				if code, convErr := strconv.Atoi(group); convErr == nil {
					answer["exitCode"] = code
					break
				}
			}
		}
		result = answer
	}
	text, _ := json.Marshal(result)
	fmt.Println(string(text))
	if err != nil {
		os.Exit(1)
	}
}
