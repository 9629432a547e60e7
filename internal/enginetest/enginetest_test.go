package enginetest

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Stacks lists the backend it is given even when PULUMI_BACKEND_URL (which
// the CLI prefers to the project's backend) names another, as a CI job's
// deploy secret does: a check that a backend holds no stack must not pass
// by looking elsewhere.
func TestStacksListsTheGivenBackend(t *testing.T) {
	h := New(t)
	state, elsewhere := t.TempDir(), t.TempDir()
	env := maps.Clone(h.EnvVars())
	env["PULUMI_BACKEND_URL"] = "file://" + filepath.ToSlash(state)
	ws, err := auto.NewLocalWorkspace(context.Background(), auto.Pulumi(h.Pulumi), auto.PulumiHome(h.Home),
		auto.EnvVars(env), auto.Program(func(*pulumi.Context) error { return nil }),
		auto.Project(workspace.Project{Name: "orderpipe", Runtime: workspace.NewProjectRuntimeInfo("go", nil)}))
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.CreateStack(context.Background(), "s"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_BACKEND_URL", "file://"+filepath.ToSlash(elsewhere))
	if got := h.Stacks(t, state); !slices.Equal(got, []string{"s"}) {
		t.Errorf("stacks of %s: %v, want [s]", state, got)
	}
}
