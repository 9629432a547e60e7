package lambdacost

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orderpipe/orderpipe/function"
)

// The stand-in runs in a child process of the test binary, so that its CPU
// is neither limited nor counted with the handler's.
const standInEnv = "ORDERPIPE_COST_STANDIN_DELAY"

func TestMain(m *testing.M) {
	if d := os.Getenv(standInEnv); d != "" {
		delay, err := time.ParseDuration(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(l.Addr().String())
		http.Serve(l, StandIn(delay))
		return
	}
	os.Exit(m.Run())
}

// startStandIn starts the stand-in with a round trip of delay and returns
// its endpoint.
func startStandIn(b *testing.B, delay time.Duration) string {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), standInEnv+"="+delay.String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("stand-in: %v", err)
	}
	return "http://" + strings.TrimSpace(addr)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func awsConfig() aws.Config {
	return aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
}

func order(i int) string {
	return fmt.Sprintf(`{"orderId":"cost-%d","customerId":"c-42","items":[{"sku":"A-1","quantity":2,"unitPrice":"9.99"},{"sku":"B-7","quantity":1,"unitPrice":"0.02"}],"currency":"EUR","total":"20.00","createdAt":"2026-11-26T14:37:00Z"}`, i)
}

// handler is the real handler with the function's own DynamoDB client.
func handler(endpoint string) *function.Handler {
	db := function.NewDynamoDBClient(awsConfig(), function.DefaultConcurrency, function.WithEndpoint(endpoint))
	return &function.Handler{
		Store:       function.DynamoStore{Client: db, Table: "orderpipe-cost-Orders"},
		DeadLetters: rejectNothing{},
		Metrics:     &function.EMF{W: io.Discard, Namespace: function.MetricsNamespace, FunctionName: "fn"},
		Log:         slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Concurrency: function.DefaultConcurrency,
	}
}

type rejectNothing struct{}

func (rejectNothing) Reject(_ context.Context, rec events.SQSMessage, reason string, _ time.Time) error {
	return fmt.Errorf("the benchmark sends only valid orders; %s was rejected: %s", rec.MessageId, reason)
}

// runBatches handles n batches of size orders and returns the wall time of
// each batch on average and the CPU time per order.
func runBatches(b *testing.B, h *function.Handler, next *int, n, size int) (wall, cpuPerOrder time.Duration) {
	ctx := context.Background()
	cpu0, t0 := cpuTime(), time.Now()
	for range n {
		var ev events.SQSEvent
		for range size {
			*next++
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint("m", *next), Body: order(*next)})
		}
		resp, err := h.Handle(ctx, ev)
		if err != nil || len(resp.BatchItemFailures) > 0 {
			b.Fatal(resp, err)
		}
	}
	return time.Since(t0) / time.Duration(n), (cpuTime() - cpu0) / time.Duration(n*size)
}

// bareCall is the floor: the same PutItem as a plain net/http POST, without
// the SDK, signing or the handler.
func bareCall(b *testing.B, client *http.Client, endpoint string, i int) {
	body := fmt.Sprintf(`{"TableName":"orderpipe-cost-Orders","Item":{"orderId":{"S":"cost-%d"},"payload":{"S":%q}},"ConditionExpression":"attribute_not_exists(orderId)"}`, i, order(i))
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.PutItem")
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// setGC sets the GC as Go's defaults do, or as the function does at memMB.
func setGC(which string, memMB int) {
	if which == "default" {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		return
	}
	function.TuneGC(func(k string) string {
		if k == "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" && memMB > 0 {
			return strconv.Itoa(memMB)
		}
		return os.Getenv(k)
	})
}

// memorySizes are the sizes the benchmark prices, from Lambda's smallest to
// the one that gets a whole vCPU.
var memorySizes = []int{128, 256, 512, 1024, 1536, 1769}

// BenchmarkCost reports, in one run:
//
//   - floor: the CPU of a bare HTTP call of the same PutItem (cpu-µs/call);
//
//   - handler/gc=default and gc=function: the CPU per order of the real
//     handler and the function's SDK client (cpu-µs/order, and x-floor, its
//     ratio to the floor), unlimited, with Go's default GC and with the
//     function's (TuneGC);
//
//   - batch=1 and batch=10: the wall time of a batch at the stand-in's round
//     trip (ms/batch, and for 10 x-single, its ratio to one order);
//
//   - mem=N: a batch of 10 under the CPU share of N MB: ms/batch,
//     billed-ms/batch and GB-s/M-orders. Without a cgroup (not root), the
//     duration is derived from the CPU per order instead, and said so.
//
//     sudo go test ./internal/lambdacost -run '^$' -bench Cost -benchtime 40x
func BenchmarkCost(b *testing.B) {
	const delay = 5 * time.Millisecond
	const size = 10
	endpoint := startStandIn(b, delay)
	h := handler(endpoint)
	next := 0
	runBatches(b, h, &next, 20, size) // warm connections and caches

	// The floor makes its calls as the handler does: a batch's at once.
	var floor time.Duration
	b.Run("floor", func(b *testing.B) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: size}}
		batch := func(first int) {
			var wg sync.WaitGroup
			for i := range size {
				wg.Go(func() { bareCall(b, client, endpoint, first+i) })
			}
			wg.Wait()
		}
		batch(0)
		cpu0 := cpuTime()
		for i := 0; b.Loop(); i++ {
			batch(i * size)
		}
		floor = (cpuTime() - cpu0) / time.Duration(b.N*size)
		b.ReportMetric(float64(floor.Microseconds()), "cpu-µs/call")
		b.ReportMetric(0, "ns/op")
	})

	// The handler with Go's default GC and with the function's (TuneGC).
	var cpuPerOrder, single time.Duration
	for _, gc := range []string{"default", "function"} {
		b.Run("handler/gc="+gc, func(b *testing.B) {
			setGC(gc, 0)
			_, cpuPerOrder = runBatches(b, h, &next, b.N, size)
			b.ReportMetric(float64(cpuPerOrder.Microseconds()), "cpu-µs/order")
			if floor > 0 {
				b.ReportMetric(float64(cpuPerOrder)/float64(floor), "x-floor")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
	defer setGC("default", 0)
	for _, n := range []int{1, size} {
		b.Run(fmt.Sprint("batch=", n), func(b *testing.B) {
			wall, _ := runBatches(b, h, &next, b.N, n)
			b.ReportMetric(float64(wall.Microseconds())/1000, "ms/batch")
			if n == 1 {
				single = wall
			} else if single > 0 {
				b.ReportMetric(float64(wall)/float64(single), "x-single")
			}
			b.ReportMetric(0, "ns/op")
		})
	}

	quota, err := NewQuota()
	if err == nil {
		err = quota.Enter()
		defer func() {
			if err := quota.Close(); err != nil {
				b.Errorf("remove the cgroup: %v", err)
			}
		}()
	}
	if err != nil {
		b.Logf("no CPU quota (%v): durations are derived from the CPU per order measured above", err)
		quota = nil
	}
	for _, mem := range memorySizes {
		b.Run(fmt.Sprintf("mem=%dMB", mem), func(b *testing.B) {
			setGC("function", mem)
			var wall time.Duration
			if quota != nil {
				if err := quota.Limit(Share(mem)); err != nil {
					b.Fatal(err)
				}
				runBatches(b, h, &next, 2, size) // the first batches after a change pay for the last period
				wall, _ = runBatches(b, h, &next, b.N, size)
			} else {
				b.Loop()
				wall = max(delay, time.Duration(float64(cpuPerOrder*size)/Share(mem)))
			}
			billed := BilledMS(wall)
			b.ReportMetric(float64(wall.Microseconds())/1000, "ms/batch")
			b.ReportMetric(billed, "billed-ms/batch")
			b.ReportMetric(GBSecondsPerMillion(billed, mem, size), "GB-s/M-orders")
			b.ReportMetric(0, "ns/op")
		})
	}
}
