package filetable

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderpipe/orderpipe/internal/awslocal"
)

// The items are on disk: the Go heap after GC grows by the index alone, a
// few hundred bytes an item at most, whatever the items' size. A store
// that kept the items in memory (minidyn: ~5 KB an order) grows by more
// than each item's 2 KB.
func TestMemoryDoesNotGrowWithItems(t *testing.T) {
	count := 50000
	if testing.Short() {
		count = 10000
	}
	const perItem = 300
	ft, dir := startFileTable(t)
	grew := heapGrowth(t, sdkClient(ft.Endpoint), count)
	if grew > perItem {
		t.Errorf("the heap grew %.0f bytes an item; want at most %d (the index alone)", grew, perItem)
	}
	// The items are where they should be: in the table's file.
	if used := dirBytes(t, dir); used < int64(count*itemPad) {
		t.Errorf("the directory holds %d bytes; want at least the %d the items take", used, count*itemPad)
	}
}

// The same measure finds an in-memory store out: minidyn, in this process,
// grows by more than the items it holds.
func TestMemoryMeasureFindsInMemoryStorage(t *testing.T) {
	mini, err := awslocal.StartDynamoDB()
	if err != nil {
		t.Fatal(err)
	}
	defer mini.Close()
	grew := heapGrowth(t, awslocal.DynamoDBClient(mini.Endpoint), 5000)
	if grew < itemPad {
		t.Errorf("minidyn's heap grew %.0f bytes an item of %d: the measure does not see items held in memory", grew, itemPad)
	}
}

const itemPad = 2000

// heapGrowth puts count items of about 2 KB, 16 at a time, and returns by
// how much the Go heap after GC grew per item.
func heapGrowth(t *testing.T, db *dynamodb.Client, count int) float64 {
	t.Helper()
	table := createTestTable(t, db, "")
	ctx := context.Background()
	putRange := func(from, to int) {
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		work := make(chan int)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					it := avMap{"pk": avS(fmt.Sprintf("order-%06d", i)), "pad": avS(strings.Repeat("x", itemPad)), "n": avN(fmt.Sprint(i))}
					if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it,
						ConditionExpression: aws.String("attribute_not_exists(pk)")}); err != nil {
						select {
						case errs <- err:
						default:
						}
					}
				}
			}()
		}
		for i := from; i < to; i++ {
			work <- i
		}
		close(work)
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	putRange(0, 1000) // the client's and server's buffers and pools, warmed
	before := heapAfterGC()
	putRange(1000, count)
	after := heapAfterGC()
	grew := float64(int64(after)-int64(before)) / float64(count-1000)
	t.Logf("heap after GC: %d -> %d bytes over %d items of %d bytes: %.0f bytes an item", before, after, count-1000, itemPad, grew)
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), Select: "COUNT", Limit: aws.Int32(1)})
	if err != nil || out.Count != 1 {
		t.Fatalf("scan: %v", err)
	}
	return grew
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	return total
}
