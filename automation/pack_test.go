package automation_test

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
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

// An update whose CLI is killed in the middle of a create (a runner lost, a
// cancel whose grace ran out) leaves no policy pack running: the pack
// notices its engine is gone and exits within seconds. Before, every killed
// CLI left its pack running forever.
func TestKilledUpLeavesNoPolicyPack(t *testing.T) {
	h := newHarness(t)
	started := make(chan string, 1)
	h.Provider.SlowCreates("aws:dynamodb/table:Table", time.Minute, started)
	opts := h.options(t, t.TempDir())
	env, err := automation.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		h.Provider.SlowCreates("aws:dynamodb/table:Table", 0, nil)
		if err := env.Close(context.Background()); err != nil {
			t.Errorf("close after the kill: %v", err)
		}
	}()
	cli := filepath.Join(h.Root, "bin", "pulumi")
	go func() {
		urn := <-started
		// The other creates, which are quick, finish first: a CLI killed
		// while it writes the file backend's checkpoint can leave it
		// unreadable ("failed to load checkpoint: EOF"), which no
		// recovery reads past.
		time.Sleep(5 * time.Second)
		t.Logf("killing the CLI during the slow create of %s", urn)
		if packs := packProcesses(t, h.Pack); len(packs) == 0 {
			t.Error("no policy pack runs during the update")
		}
		all, _ := proctest.Descendants()
		for _, p := range all {
			if strings.HasPrefix(p.Command, cli+" ") && strings.Contains(p.Command, " up ") {
				syscall.Kill(p.PID, syscall.SIGKILL)
			}
		}
	}()
	if _, err := env.Up(context.Background()); err == nil {
		t.Fatal("the update whose CLI was killed succeeded")
	}
	killed := time.Now()
	for packs := packProcesses(t, h.Pack); len(packs) > 0; packs = packProcesses(t, h.Pack) {
		if time.Since(killed) > 10*time.Second {
			t.Errorf("policy packs still run 10 s after their CLI was killed: %v", packs)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("no policy pack runs %v after the CLI was killed", time.Since(killed).Round(100*time.Millisecond))
}
