package filetable

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// openFilesIn lists this process's open files under dir.
func openFilesIn(t *testing.T, dir string) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	var open []string
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			open = append(open, target)
		}
	}
	return open
}

// lockHeld asks, as local's removeTablesLeft asks of a LevelDB LOCK,
// whether a process holds a lock on the file.
func lockHeldOn(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		t.Fatal(err)
	}
	return lk.Type != syscall.F_UNLCK
}

// Close stops serving, leaves no goroutine and no file open, releases the
// lock; a Server started again on the directory serves what was stored,
// and a record cut short by a killed run is dropped.
func TestCloseAndRestart(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the lock and /proc/self/fd are Linux's")
	}
	dir := t.TempDir()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	goroutines := runtime.NumGoroutine()

	srv, err := Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.New(sdkClient(srv.Endpoint).Options(), func(o *dynamodb.Options) { o.HTTPClient = &http.Client{Transport: tr} })
	table := createTestTable(t, db, types.ScalarAttributeTypeN)
	ctx := context.Background()
	for i := range 10 {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: avMap{"pk": avS("a"), "sk": avN(fmt.Sprint(i)), "v": avS("first")}}); err != nil {
			t.Fatal(err)
		}
	}
	// An overwrite appends and re-points the index.
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: avMap{"pk": avS("a"), "sk": avN("3"), "v": avS("second")}}); err != nil {
		t.Fatal(err)
	}
	if !lockHeldOn(t, filepath.Join(dir, "LOCK")) {
		t.Error("no lock on LOCK while serving")
	}
	if _, err := Start(dir); err == nil {
		t.Error("a second Server started on a directory a live one holds")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: avMap{"pk": avS("a"), "sk": avN("1")}}); err == nil {
		t.Error("a request after Close succeeded")
	}
	tr.CloseIdleConnections()
	if open := openFilesIn(t, dir); len(open) > 0 {
		t.Errorf("files open after Close: %v", open)
	}
	if lockHeldOn(t, filepath.Join(dir, "LOCK")) {
		t.Error("LOCK still locked after Close")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, goroutines, buf[:runtime.Stack(buf, true)])
	}

	// A killed run's last write, cut short.
	appendToTheTable(t, dir, []byte{200, 0, 0, 0, 1, 2, 3, 4, 'x', 'y'})

	// A killed run's CreateTable, cut short before it answered.
	if err := os.WriteFile(filepath.Join(dir, "t99.tbl"), []byte{40, 0, 0}, 0o600); err != nil {
		t.Fatal(err)
	}

	srv, err = Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if files, _ := filepath.Glob(filepath.Join(dir, "t*.tbl")); len(files) != 1 {
		t.Errorf("table files after a restart: %v; want the one table's", files)
	}
	db = sdkClient(srv.Endpoint)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: avMap{"pk": avS("b"), "sk": avN("0")}}); err != nil {
		t.Fatal(err)
	}
	_, seen, _ := scanPages(t, db, dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(4)})
	if seen["a"] != 10 || seen["b"] != 1 {
		t.Errorf("after a restart: %v, want a 10 times and b once", seen)
	}
	got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: avMap{"pk": avS("a"), "sk": avN("3")}})
	if err != nil || fmtItem(got.Item) != `{"pk"=S:"a" "sk"=N:3 "v"=S:"second"}` {
		t.Errorf("the overwritten item after a restart: %v, %v", fmtItem(got.Item), err)
	}
}

// A conditional put is atomic: of many at once for one key, one wins.
func TestConditionalPutIsAtomic(t *testing.T) {
	ft, _ := startFileTable(t)
	db := sdkClient(ft.Endpoint)
	table := createTestTable(t, db, "")
	const writers = 64
	var wg sync.WaitGroup
	results := make(chan error, writers*5)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 5 {
				_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table),
					Item:                avMap{"pk": avS(fmt.Sprintf("key-%d", k)), "writer": avN(fmt.Sprint(i))},
					ConditionExpression: aws.String("attribute_not_exists(pk)")})
				results <- err
			}
		}()
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			won++
		case !errors.As(err, &ccf):
			t.Errorf("a put failed otherwise: %v", err)
		}
	}
	if won != 5 {
		t.Errorf("%d conditional puts succeeded for 5 keys; want 5", won)
	}
}

// Close waits for the requests in flight: a put it lets through is
// answered and stored, none is cut off with a server error, and a put
// acknowledged is there after a restart.
func TestCloseWaitsForRequestsInFlight(t *testing.T) {
	dir, srv, db, table := startWithTable(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]bool{}
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				k := fmt.Sprintf("g%d-%d", g, i)
				_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table),
					Item: avMap{"pk": avS(k), "pad": avS(strings.Repeat("x", 4000))}})
				if err != nil {
					if c := errCode(err); !strings.HasPrefix(c, "not an API error") {
						t.Errorf("a put during Close answered %s: %v", c, err)
					}
					return
				}
				mu.Lock()
				acked[k] = true
				mu.Unlock()
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	closed := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(closed); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	wg.Wait()

	srv, err := Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	_, seen, _ := scanPages(t, sdkClient(srv.Endpoint), dynamodb.ScanInput{TableName: aws.String(table)})
	for k := range acked {
		if seen[k] != 1 {
			t.Errorf("%s acknowledged, then found %d times", k, seen[k])
		}
	}
	if len(acked) == 0 {
		t.Error("no put was acknowledged before Close")
	}
	t.Logf("%d puts acknowledged before Close, %d stored", len(acked), len(seen))
}

// A Scan paged while others write sees every item that was there when it
// began, and each item once: a page resumes after the last key, wherever
// the new keys sort.
func TestScanWhileWriting(t *testing.T) {
	ft, _ := startFileTable(t)
	db := sdkClient(ft.Endpoint)
	table := createTestTable(t, db, "")
	ctx := context.Background()
	fillTable(t, db, table, 300, 10)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// New keys that sort before, between and after the first ones.
				for _, k := range []string{fmt.Sprintf("a%d-%d", g, i), fmt.Sprintf("k%05d-%d-%d", i%300, g, i), fmt.Sprintf("z%d-%d", g, i)} {
					if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: pkKey(k)}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	_, seen, _ := scanPages(t, db, dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(7)})
	close(stop)
	wg.Wait()
	for i := range 300 {
		if k := fmt.Sprintf("k%05d", i); seen[k] != 1 {
			t.Errorf("%s, there before the scan, seen %d times", k, seen[k])
		}
	}
	for k, times := range seen {
		if times != 1 {
			t.Errorf("%s seen %d times", k, times)
		}
	}
}

// A machine that lost power can leave a file whose size grew but whose
// last blocks never reached the disk: zeros. Eight zero bytes read as a
// record of length 0 whose CRC-32C (that of nothing) is 0, so the check
// alone passes them; like a record cut short, they end the table, and
// what was stored before them is served.
func TestZeroFilledTail(t *testing.T) {
	dir, srv, db, table := startWithTable(t)
	ctx := context.Background()
	for _, pk := range []string{"a", "b", "c"} {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: pkKey(pk)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	appendToTheTable(t, dir, make([]byte, 4096))

	srv, err := Start(dir)
	if err != nil {
		t.Fatalf("a table file ending in zeros: %v", err)
	}
	defer srv.Close()
	db = sdkClient(srv.Endpoint)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: pkKey("d")}); err != nil {
		t.Fatal(err)
	}
	_, seen, _ := scanPages(t, db, dynamodb.ScanInput{TableName: aws.String(table)})
	if len(seen) != 4 || seen["a"]+seen["b"]+seen["c"]+seen["d"] != 4 {
		t.Errorf("after a restart: %v, want a, b, c and d once each", seen)
	}
}

// startWithTable starts a Server in a new directory with one table, of a
// string hash key "pk".
func startWithTable(t *testing.T) (dir string, srv *Server, db *dynamodb.Client, table string) {
	t.Helper()
	dir = t.TempDir()
	srv, err := Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	db = sdkClient(srv.Endpoint)
	return dir, srv, db, createTestTable(t, db, "")
}

// appendToTheTable writes b at the end of dir's one table file.
func appendToTheTable(t *testing.T, dir string, b []byte) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "t*.tbl"))
	if len(files) != 1 {
		t.Fatalf("table files %v, want one", files)
	}
	f, err := os.OpenFile(files[0], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}
