package function

import (
	"runtime/debug"
	"strconv"
)

// GCPercent is the function's GOGC. Its heap is a few megabytes and lives for
// one batch, so collecting at 5 × the live heap instead of 2 × costs little
// memory and less CPU per order (BenchmarkCost: 6–25% in runs here), which at
// Lambda's small memory sizes is duration and money.
const GCPercent = 400

// TuneGC sets the garbage collector for a Lambda function: GCPercent, and a
// soft memory limit of 80% of the function's memory
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, in MB) so that a larger heap collects
// sooner rather than running out. GOGC and GOMEMLIMIT, when set, win.
func TuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if mb, err := strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")); err == nil && mb > 0 && getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(mb) << 20 * 8 / 10)
	}
}
