package function

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	env := map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}
	TuneGC(func(k string) string { return env[k] })
	if got := debug.SetGCPercent(100); got != GCPercent {
		t.Errorf("GOGC %d, want %d", got, GCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != 512<<20*8/10 {
		t.Errorf("memory limit %d, want 80%% of 512 MiB", got)
	}

	// The operator's GOGC and GOMEMLIMIT win.
	debug.SetMemoryLimit(math.MaxInt64)
	env["GOGC"], env["GOMEMLIMIT"] = "50", "100MiB"
	TuneGC(func(k string) string { return env[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC %d, want the one in force", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit %d, want none set", got)
	}
}
