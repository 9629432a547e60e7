// Package lambdacost measures what an order costs on Lambda, the way Lambda
// bills it, before anything is deployed: Lambda gives a function CPU in
// proportion to its memory (1,769 MB is one vCPU) and bills duration ×
// memory. The benchmark in this package runs the real handler and SDK client
// under the CPU share of each memory size, against a DynamoDB stand-in in
// another process that only answers after a round trip.
package lambdacost

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// FullCPUMB is the memory size at which Lambda gives a function one whole
// vCPU; below it the share is proportional.
const FullCPUMB = 1769

// Share is the fraction of one CPU a function of memMB gets.
func Share(memMB int) float64 { return math.Min(1, float64(memMB)/FullCPUMB) }

// BilledMS is Lambda's billed duration of a run that took d: whole
// milliseconds, rounded up.
func BilledMS(d time.Duration) float64 { return math.Ceil(float64(d) / float64(time.Millisecond)) }

// GBSecondsPerMillion is what a million orders cost in GB-seconds when each
// batch of batchSize orders is billed billedMS at memMB.
func GBSecondsPerMillion(billedMS float64, memMB, batchSize int) float64 {
	return billedMS / 1000 * float64(memMB) / 1024 * 1e6 / float64(batchSize)
}

// Quota is a cgroup (v1 cpu controller) that limits the CPU of the processes
// in it. The machine must mount the controller and the caller be root.
type Quota struct {
	dir string
}

const cgroupCPU = "/sys/fs/cgroup/cpu"

// NewQuota creates a cgroup of its own under the cpu controller.
func NewQuota() (*Quota, error) {
	dir := filepath.Join(cgroupCPU, fmt.Sprintf("orderpipe-cost-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup (needs root and the v1 cpu controller at %s): %w", cgroupCPU, err)
	}
	return &Quota{dir: dir}, nil
}

// Enter moves this whole process, every thread, into the cgroup.
func (q *Quota) Enter() error {
	return os.WriteFile(filepath.Join(q.dir, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0o644)
}

// Limit gives the cgroup share of one CPU: share × a 20 ms period. A short
// period spreads the CPU evenly over a batch; with 100 ms, a batch at 128 MB
// would run in bursts and wait out the rest of each period.
func (q *Quota) Limit(share float64) error {
	const period = 20_000 // µs; the kernel takes quotas from 1 ms
	if err := os.WriteFile(filepath.Join(q.dir, "cpu.cfs_period_us"), []byte(strconv.Itoa(period)), 0o644); err != nil {
		return err
	}
	quota := max(1000, int(math.Round(share*period)))
	return os.WriteFile(filepath.Join(q.dir, "cpu.cfs_quota_us"), []byte(strconv.Itoa(quota)), 0o644)
}

// Close moves the process back to the root cgroup and removes this one.
func (q *Quota) Close() error {
	if err := os.WriteFile(filepath.Join(cgroupCPU, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	return os.Remove(q.dir)
}

// StandIn answers every DynamoDB request with an empty success after Delay,
// as a table does from one client's point of view, and spends next to no CPU:
// it runs in a process of its own, outside the quota.
func StandIn(delay time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the request, as a server must, then wait out the round trip.
		buf := make([]byte, 4096)
		for {
			if _, err := r.Body.Read(buf); err != nil {
				break
			}
		}
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", "2745614147") // CRC-32 of "{}"
		w.Write([]byte("{}"))
	})
}
