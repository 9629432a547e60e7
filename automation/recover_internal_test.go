package automation

import (
	"errors"
	"testing"
	"time"
)

// The lock errors the CLI gives: a self-managed backend names each lock
// (the engine tests check that against the pinned CLI); Pulumi Cloud names
// none; anything else is no lock.
func TestLockHolders(t *testing.T) {
	for _, c := range []struct {
		name    string
		err     error
		locked  bool
		holders []lockHolder
	}{
		{"self-managed", &OpError{Op: "update", Err: errors.New("failed to run update: exit status 255\nstderr: error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n  s3://state/.pulumi/locks/organization/orderpipe/pr-1-x/ab.json: created by runner@fv-az12 (pid 2231) at 2026-11-29T05:00:00Z\n")},
			true, []lockHolder{{Where: "s3://state/.pulumi/locks/organization/orderpipe/pr-1-x/ab.json", User: "runner", Host: "fv-az12", PID: 2231, Since: time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)}}},
		{"Pulumi Cloud", errors.New("error: [409] Conflict: Another update is currently in progress."), true, nil},
		{"not a lock", errors.New("error: update failed"), false, nil},
		{"no error", nil, false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			holders, locked := lockHolders(c.err)
			if locked != c.locked || len(holders) != len(c.holders) {
				t.Fatalf("locked %v, holders %+v", locked, holders)
			}
			for i := range holders {
				if holders[i] != c.holders[i] {
					t.Errorf("holder %+v, want %+v", holders[i], c.holders[i])
				}
			}
		})
	}
}
