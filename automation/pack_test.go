package automation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/proctest"
)

// packProcesses are the running policy packs the test started.
func packProcesses(t *testing.T, pack string) []proctest.Process {
	t.Helper()
	all, err := proctest.Descendants()
	if err != nil {
		t.Fatal(err)
	}
	var packs []proctest.Process
	for _, p := range all {
		if strings.HasPrefix(p.Command, pack) {
			packs = append(packs, p)
		}
	}
	return packs
}

// An update whose CLI is killed in the middle of a create (a cancel whose
// grace ran out, as a cancelled CI job's) leaves no policy pack running: the
// pack notices its engine is gone and exits within seconds. Before, every
// killed CLI left its pack running forever.
func TestKilledUpLeavesNoPolicyPack(t *testing.T) {
	h := newHarness(t)
	started := make(chan string, 1)
	h.Provider.SlowCreates("aws:dynamodb/table:Table", time.Minute, started)
	opts := h.options(t, t.TempDir())
	opts.CancelGrace = time.Second
	env, err := automation.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		t.Logf("cancelling during the slow create of %s", <-started)
		if packs := packProcesses(t, h.Pack); len(packs) == 0 {
			t.Error("no policy pack runs during the update")
		}
		cancel()
	}()
	if _, err := env.Up(ctx); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("update: %v; want the CLI killed after its grace", err)
	}
	killed := time.Now()
	for packs := packProcesses(t, h.Pack); len(packs) > 0; packs = packProcesses(t, h.Pack) {
		if time.Since(killed) > 10*time.Second {
			t.Fatalf("policy packs still run 10 s after their CLI was killed: %v", packs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("no policy pack runs %v after the CLI was killed", time.Since(killed).Round(100*time.Millisecond))
	h.Provider.SlowCreates("aws:dynamodb/table:Table", 0, nil)
	if err := env.Close(context.Background()); err != nil {
		t.Fatalf("close after the kill: %v", err)
	}
}
