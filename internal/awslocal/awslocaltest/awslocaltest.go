// Package awslocaltest starts the stand-ins that need a tool installed, for
// tests.
package awslocaltest

import (
	"context"
	"os/exec"
	"testing"

	"github.com/orderpipe/orderpipe/internal/awslocal"
	"github.com/orderpipe/orderpipe/internal/testenv"
)

// Dynalite starts dynalite (in memory, under node) for the rest of the
// test and returns its endpoint. Without node or tools/install's dynalite
// the test skips, or fails in CI (see testenv.Tool).
func Dynalite(t testing.TB) string {
	t.Helper()
	cli := testenv.Tool(t, "ORDERPIPE_DYNALITE", "tools/node_modules/dynalite/cli.js", "tools/install")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("dynalite needs node: %v", err)
	}
	dl, err := awslocal.StartDynalite(context.Background(), node, cli)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dl.Close() })
	return dl.Endpoint
}
