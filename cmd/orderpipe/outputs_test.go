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
	h := enginetest.New(t)
	for k, v := range h.EnvVars() {
		t.Setenv(k, v)
	}
	t.Setenv("PULUMI_HOME", h.Home)
	ctx := context.Background()
	state := t.TempDir()
	env, err := automation.New(ctx, automation.Options{Prefix: "outputs", StateDir: state, Region: "eu-west-1",
		PulumiRoot: h.Root, PulumiHome: h.Home, ModuleDir: h.Module, EnvVars: h.EnvVars()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
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
	h := enginetest.New(t)
	for k, v := range h.EnvVars() {
		t.Setenv(k, v)
	}
	t.Setenv("PULUMI_HOME", h.Home)
	ctx := context.Background()
	t.Chdir(t.TempDir())
	if err := os.Mkdir("state", 0o755); err != nil {
		t.Fatal(err)
	}
	env, err := automation.New(ctx, automation.Options{Prefix: "outputs", Backend: "file://state", Region: "eu-west-1",
		PulumiRoot: h.Root, PulumiHome: h.Home, ModuleDir: h.Module, EnvVars: h.EnvVars()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	got, err := stackFlags{name: env.Name, backend: "file://state", pulumiRoot: h.Root, projectDir: h.Module}.outputs(ctx)
	if err != nil || len(got) != 0 {
		t.Errorf("outputs of a stack never updated: %v, %v; want none", got, err)
	}
}
