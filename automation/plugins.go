package automation

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"golang.org/x/mod/modfile"
)

// awsSDK is the module of the Pulumi AWS SDK the program is built with; the
// engine runs the provider plugin of the same version.
const awsSDK = "github.com/pulumi/pulumi-aws/sdk/v6"

// checkAWSPlugin fails with one line saying what is missing and how to
// install it when the AWS provider plugin the program needs is not installed,
// rather than letting the engine try to download it, warn five times and
// fail. A provider attached with PULUMI_DEBUG_PROVIDERS needs no plugin.
func checkAWSPlugin(ctx context.Context, ws auto.Workspace, env map[string]string, moduleDir string) error {
	if strings.Contains(env["PULUMI_DEBUG_PROVIDERS"]+","+os.Getenv("PULUMI_DEBUG_PROVIDERS"), "aws:") {
		return nil
	}
	version := awsSDKVersion(moduleDir)
	if version == "" {
		return nil // nothing to compare with
	}
	plugins, err := ws.ListPlugins(ctx)
	if err != nil {
		return nil // the engine will say what is wrong
	}
	for _, p := range plugins {
		if p.Name == "aws" && p.Kind == "resource" && p.Version != nil && p.Version.String() == version {
			return nil
		}
	}
	return fmt.Errorf("the Pulumi AWS provider plugin %s is not installed; install it with: pulumi plugin install resource aws v%s", version, version)
}

// awsSDKVersion is the version of awsSDK the binary was built with, or, in a
// binary without module information (a test), the one the module's go.mod
// requires.
func awsSDKVersion(moduleDir string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == awsSDK {
				return strings.TrimPrefix(d.Version, "v")
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(moduleDir, "go.mod"))
	if moduleDir == "" || err != nil {
		return ""
	}
	f, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return ""
	}
	for _, r := range f.Require {
		if r.Mod.Path == awsSDK {
			return strings.TrimPrefix(r.Mod.Version, "v")
		}
	}
	return ""
}
