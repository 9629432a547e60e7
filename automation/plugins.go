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

// checkAWSPlugin installs the AWS provider plugin the program needs when it
// is not installed, through the Automation API, before the first operation:
// the engine would otherwise try to download it in the middle of one, warn
// five times and fail. Where the install cannot reach its source (no
// network), it fails with one line saying what is missing and how to install
// it. A provider attached with PULUMI_DEBUG_PROVIDERS needs no plugin.
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
	if err := ws.InstallPlugin(ctx, "aws", "v"+version); err != nil {
		return fmt.Errorf("the Pulumi AWS provider plugin %s is not installed and could not be installed (%s); install it with: pulumi plugin install resource aws v%s",
			version, lastError(err), version)
	}
	return nil
}

// lastError is the CLI's last "error:" line in err, or its first line: the
// Automation API's error carries the CLI's whole output.
func lastError(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if _, msg, ok := strings.Cut(lines[i], "error: "); ok {
			return strings.TrimSpace(msg)
		}
	}
	return strings.TrimSpace(lines[0])
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
