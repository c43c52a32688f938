// Command sdk-gen writes the TypeScript, Go and Python SDKs of the partner-attribution Pulumi package from its
// schema, with Pulumi's own SDK generators (pkg/v3's codegen/nodejs, codegen/go and codegen/python, at the version
// of the CLI that scripts/pulumi-toolchain.sh builds). `pulumi package gen-sdk` can't be used here: since 3.274 it
// asks each language's host to generate, and those hosts can't be built from the Go module proxy
// (reference/pulumi-engine/FACTS.md).
//
//	go run . -schema ../components/partner_attribution/plugin/schema.json -version 0.1.0 -out ../sdk
//
// Each language's folder under -out is replaced whole, so a regenerated SDK is exactly what the generator writes.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "partner-attribution-sdk-gen"

// pulumiSDKVersion is the Pulumi Go SDK the generated Go SDK requires: the version of pkg/v3 in go.mod (the CLI's).
const pulumiSDKVersion = "v3.276.0"

// noReferences is the schema loader: the package references no other package's schema, so any attempt to load one
// is an error naming it (rather than booting a plugin).
type noReferences struct{}

func (noReferences) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema references package %q; sdk-gen loads no other package", pkg)
}

func (l noReferences) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, d.Version)
}

func (noReferences) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the schema references package %q; sdk-gen loads no other package", pkg)
}

func (l noReferences) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, d.Version)
}

func main() {
	schemaPath := flag.String("schema", "", "the package schema (JSON)")
	version := flag.String("version", "", "the package version written into the schema (the plugin's)")
	out := flag.String("out", "sdk", "the folder the SDKs are written under, one folder per language")
	languages := flag.String("languages", "nodejs,go,python", "comma-separated: nodejs, go, python")
	flag.Parse()
	if err := run(*schemaPath, *version, *out, strings.Split(*languages, ",")); err != nil {
		fmt.Fprintf(os.Stderr, "sdk-gen: %v\n", err)
		os.Exit(1)
	}
}

func run(schemaPath, version, out string, languages []string) error {
	if schemaPath == "" || version == "" {
		return fmt.Errorf("give -schema and -version")
	}
	text, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(text, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	spec.Version = version
	for _, language := range languages {
		// Each generator records its language's settings in the bound package: bind afresh for each.
		pkg, diagnostics, err := schema.BindSpec(spec, noReferences{}, schema.ValidationOptions{})
		if err != nil {
			return err
		}
		if diagnostics.HasErrors() {
			return fmt.Errorf("the schema does not bind: %s", diagnostics.Error())
		}
		var files map[string][]byte
		switch language {
		case "nodejs":
			files, err = nodejs.GeneratePackage(tool, pkg, nil, nil, false, noReferences{})
		case "go":
			files, err = gogen.GeneratePackage(tool, pkg, nil)
		case "python":
			files, err = python.GeneratePackage(tool, pkg, nil, noReferences{})
		default:
			return fmt.Errorf("unknown language %q (nodejs, go or python)", language)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", language, err)
		}
		if language == "go" {
			files["go.mod"] = goMod(pkg)
		}
		if err := write(filepath.Join(out, language), files); err != nil {
			return err
		}
	}
	return nil
}

// goMod is the Go SDK's module file: the module is the folder above the package (importBasePath without its last
// element), requiring the Pulumi Go SDK at the version of the generators; `go mod tidy` completes it (go.sum).
func goMod(pkg *schema.Package) []byte {
	info, _ := pkg.Language["go"].(gogen.GoPackageInfo)
	module := info.ImportBasePath[:strings.LastIndex(info.ImportBasePath, "/")]
	return []byte(fmt.Sprintf("module %s\n\ngo 1.24\n\nrequire github.com/pulumi/pulumi/sdk/v3 %s\n", module, pulumiSDKVersion))
}

func write(folder string, files map[string][]byte) error {
	if err := os.RemoveAll(folder); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(folder, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}
