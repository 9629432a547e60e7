package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/enginetest"
	"github.com/orderpipe/orderpipe/spec"
)

// --stack reads a deployed stack's outputs with the Pulumi CLI: the same
// outputs the Automation API reads, from the same backend.
func TestStackOutputsThroughTheCLI(t *testing.T) {
	h := cliHarness(t)
	ctx := context.Background()
	state := t.TempDir()
	env := outputsEnv(t, h, automation.Options{StateDir: state})
	want, err := env.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := stackFlags{name: env.Name, stateDir: state, pulumiRoot: h.Root}.outputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || !strings.Contains(fmt.Sprint(got[spec.OutputTopicArn]), env.Name) {
		t.Errorf("outputs %v, want %v", got, want)
	}

	_, err = stackFlags{name: "no-such-stack", stateDir: state, pulumiRoot: h.Root}.outputs(ctx)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "no-such-stack") {
		t.Errorf("a missing stack: %v; want one line naming it", err)
	}
}

// A relative --backend is under the working directory, as orderpipe-env
// reads it, not under the project's directory the CLI runs in.
func TestStackOutputsOfARelativeBackend(t *testing.T) {
	h := cliHarness(t)
	ctx := context.Background()
	t.Chdir(t.TempDir())
	if err := os.Mkdir("state", 0o755); err != nil {
		t.Fatal(err)
	}
	env := outputsEnv(t, h, automation.Options{Backend: "file://state"})
	got, err := stackFlags{name: env.Name, backend: "file://state", pulumiRoot: h.Root, projectDir: h.Module}.outputs(ctx)
	if err != nil || len(got) != 0 {
		t.Errorf("outputs of a stack never updated: %v, %v; want none", got, err)
	}
}

// cliHarness is the engine harness, its environment this process's: the
// CLI `stack output` runs inherits it.
func cliHarness(t *testing.T) *enginetest.Harness {
	h := enginetest.New(t)
	for k, v := range h.EnvVars() {
		t.Setenv(k, v)
	}
	t.Setenv("PULUMI_HOME", h.Home)
	return h
}

// outputsEnv is a new environment in opts' backend, closed when the test
// ends.
func outputsEnv(t *testing.T, h *enginetest.Harness, opts automation.Options) *automation.Env {
	t.Helper()
	opts.Prefix, opts.Region = "outputs", "eu-west-1"
	opts.PulumiRoot, opts.PulumiHome, opts.ModuleDir, opts.EnvVars = h.Root, h.Home, h.Module, h.EnvVars()
	env, err := automation.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return env
}
