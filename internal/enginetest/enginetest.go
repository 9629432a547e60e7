// Package enginetest sets up the real Pulumi engine for tests: the pinned
// CLI (bin/pulumi-cli, from tools/install), the stand-in AWS provider of
// fakeaws attached through PULUMI_DEBUG_PROVIDERS, and the built policy pack.
// Nothing it starts reaches AWS.
package enginetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/internal/backendurl"
	"github.com/orderpipe/orderpipe/internal/fakeaws"
	"github.com/orderpipe/orderpipe/internal/proctest"
	"github.com/orderpipe/orderpipe/internal/testenv"
)

// ProcessGrace is how long after a test's other cleanups the processes it
// started may take to end: a policy pack notices its engine is gone within
// seconds.
const ProcessGrace = 15 * time.Second

// Harness is one test's engine.
type Harness struct {
	Pulumi   auto.PulumiCommand
	Root     string // the CLI's root: Root/bin/pulumi
	Provider *fakeaws.Provider
	Pack     string // the built policy pack executable
	Home     string // PULUMI_HOME
	Module   string // the orderpipe module

	marker string // in the environment of every process the test starts through EnvVars
}

var (
	packOnce sync.Once
	packPath string
	packErr  error
)

// New starts the stand-in provider and finds the CLI; without the CLI the
// test fails in CI and is skipped elsewhere. The test fails when a process
// it started (a Pulumi CLI, a policy pack) still runs 15 s after its other
// cleanups: a killed CLI's pack must end by itself.
func New(t *testing.T) *Harness {
	t.Helper()
	marker := fmt.Sprintf("ORDERPIPE_TEST_PROCESSES=%s-%d", strings.ReplaceAll(t.Name(), "/", "."), time.Now().UnixNano())
	proctest.Check(t, ProcessGrace, marker)
	cli := testenv.Tool(t, "ORDERPIPE_PULUMI", "bin/pulumi-cli/bin/pulumi", "tools/install")
	root := filepath.Dir(filepath.Dir(cli))
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	module := testenv.ModuleRoot(t)
	packOnce.Do(func() { packPath, packErr = buildPack(module) })
	if packErr != nil {
		t.Fatalf("build the policy pack: %v", packErr)
	}
	p, err := fakeaws.Start(awsVersion(t, module))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &Harness{Pulumi: cmd, Root: root, Provider: p, Pack: packPath, Home: t.TempDir(), Module: module, marker: marker}
}

func buildPack(module string) (string, error) {
	dir, err := os.MkdirTemp("", "orderpipe-policy-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "orderpipe-policy")
	build := exec.Command("go", "build", "-o", path, "./policy")
	build.Dir = module
	if out, err := build.CombinedOutput(); err != nil {
		return "", errors.New(string(out))
	}
	return path, nil
}

// awsVersion is the pulumi-aws SDK version of go.mod: the plugin version the
// program asks the engine for.
func awsVersion(t *testing.T, module string) string {
	t.Helper()
	list := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/pulumi/pulumi-aws/sdk/v6")
	list.Dir = module
	out, err := list.Output()
	if err != nil {
		t.Fatalf("pulumi-aws version: %v", err)
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
}

// EnvVars make the engine use the stand-in provider and nothing from the
// network.
func (h *Harness) EnvVars() map[string]string {
	key, value, _ := strings.Cut(h.marker, "=")
	return map[string]string{
		"PULUMI_DEBUG_PROVIDERS":                      h.Provider.DebugProviders(),
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_CONFIG_PASSPHRASE":                    "test",
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		key:                                           value,
	}
}

// Stacks lists the stacks of the orderpipe project in a file backend.
func (h *Harness) Stacks(t *testing.T, stateDir string) []string {
	t.Helper()
	ws := h.Workspace(t, stateDir)
	summaries, err := ws.ListStacks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range summaries {
		names = append(names, s.Name)
	}
	return names
}

// Workspace is a workspace of the orderpipe project in the file backend in
// stateDir, outside the automation package.
func (h *Harness) Workspace(t *testing.T, stateDir string) auto.Workspace {
	t.Helper()
	backend := backendurl.NoSidecars("file://" + filepath.ToSlash(stateDir))
	// The CLI prefers the variable to the project's backend: one the test
	// process has (a CI job's deploy secret, a developer's shell) would be
	// the one read and written instead.
	env := h.EnvVars()
	env["PULUMI_BACKEND_URL"] = backend
	ws, err := auto.NewLocalWorkspace(context.Background(), auto.Pulumi(h.Pulumi), auto.PulumiHome(h.Home),
		auto.EnvVars(env), auto.Program(func(*pulumi.Context) error { return nil }),
		auto.Project(workspace.Project{Name: "orderpipe", Runtime: workspace.NewProjectRuntimeInfo("go", nil),
			Backend: &workspace.ProjectBackend{URL: backend}}))
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// LogWriter sends lines to the test log.
type LogWriter struct{ T testing.TB }

func (w LogWriter) Write(p []byte) (int, error) {
	w.T.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
