package filetable

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func fillTable(t *testing.T, db *dynamodb.Client, table string, count, pad int) {
	t.Helper()
	for i := range count {
		it := avMap{"pk": avS(fmt.Sprintf("k%05d", i)), "i": avN(fmt.Sprint(i)), "pad": avS(strings.Repeat("p", pad))}
		if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
}

// scanAll pages through the table and returns each page's size and every
// pk seen.
func scanPages(t *testing.T, db *dynamodb.Client, in dynamodb.ScanInput) (pages []int, seen map[string]int, out []*dynamodb.ScanOutput) {
	t.Helper()
	seen = map[string]int{}
	for {
		page, err := db.Scan(context.Background(), &in)
		if err != nil {
			t.Fatal(err)
		}
		if page.Count != int32(len(page.Items)) && in.Select != types.SelectCount {
			t.Errorf("Count %d, %d items", page.Count, len(page.Items))
		}
		if page.ScannedCount != page.Count {
			t.Errorf("ScannedCount %d, Count %d: without a filter they are equal", page.ScannedCount, page.Count)
		}
		pages = append(pages, int(page.Count))
		out = append(out, page)
		for _, it := range page.Items {
			if pk, ok := it["pk"].(*types.AttributeValueMemberS); ok {
				seen[pk.Value]++
			}
		}
		if page.LastEvaluatedKey == nil {
			return pages, seen, out
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func checkOnce(t *testing.T, seen map[string]int, count int) {
	t.Helper()
	if len(seen) != count {
		t.Errorf("saw %d items, want %d", len(seen), count)
	}
	for pk, times := range seen {
		if times != 1 {
			t.Errorf("%s seen %d times", pk, times)
		}
	}
}

// Scan (API Reference): "If LastEvaluatedKey is present in the response,
// you need to paginate"; "A single Scan operation reads up to the maximum
// number of items set (if using the Limit parameter) or a maximum of 1 MB
// of data"; "If LastEvaluatedKey is not empty, it does not necessarily
// mean that there is more data in the result set".
func TestScan(t *testing.T) {
	for _, srv := range standIns(t) {
		t.Run(srv.name, func(t *testing.T) {
			table := createTestTable(t, srv.db, "")
			fillTable(t, srv.db, table, 20, 10)

			pages, seen, _ := scanPages(t, srv.db, dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(10)})
			if fmt.Sprint(pages) != "[10 10 0]" {
				t.Errorf("pages of %v, want [10 10 0] (Limit reached on the last item still gives a LastEvaluatedKey)", pages)
			}
			checkOnce(t, seen, 20)

			pages, seen, _ = scanPages(t, srv.db, dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(7), ConsistentRead: aws.Bool(true)})
			if fmt.Sprint(pages) != "[7 7 6]" {
				t.Errorf("pages of %v, want [7 7 6]", pages)
			}
			checkOnce(t, seen, 20)

			_, _, out := scanPages(t, srv.db, dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount})
			if len(out) != 1 || out[0].Count != 20 || out[0].Items != nil {
				t.Errorf("Select COUNT: %d pages, Count %d, %d items; want one page, 20, no items", len(out), out[0].Count, len(out[0].Items))
			}

			_, _, out = scanPages(t, srv.db, dynamodb.ScanInput{TableName: aws.String(table),
				ProjectionExpression: aws.String("#i"), ExpressionAttributeNames: map[string]string{"#i": "i"}})
			for _, it := range out[0].Items {
				if len(it) != 1 || it["i"] == nil {
					t.Errorf("projected item %s, want only i", fmtItem(it))
					break
				}
			}

			for name, in := range map[string]dynamodb.ScanInput{
				"Limit 0":                           {TableName: aws.String(table), Limit: aws.Int32(0)},
				"a start key of another schema":     {TableName: aws.String(table), ExclusiveStartKey: avMap{"other": avS("x")}},
				"a start key of the wrong type":     {TableName: aws.String(table), ExclusiveStartKey: avMap{"pk": avN("1")}},
				"an unused name":                    {TableName: aws.String(table), ExpressionAttributeNames: map[string]string{"#a": "a"}, ProjectionExpression: aws.String("pk")},
				"a projection of an undefined name": {TableName: aws.String(table), ProjectionExpression: aws.String("#a")},
			} {
				if _, err := srv.db.Scan(context.Background(), &in); errCode(err) != "ValidationException" {
					t.Errorf("%s: %v, want a ValidationException", name, err)
				}
			}
		})
	}
}

// 1 MB pages: items of about 2 KB end a page once 1 MB is read.
func TestScanPageLimit(t *testing.T) {
	const count, pad = 700, 2000
	for _, srv := range standIns(t) {
		t.Run(srv.name, func(t *testing.T) {
			table := createTestTable(t, srv.db, "")
			fillTable(t, srv.db, table, count, pad)
			pages, seen, out := scanPages(t, srv.db, dynamodb.ScanInput{TableName: aws.String(table)})
			checkOnce(t, seen, count)
			if len(pages) != 2 {
				t.Fatalf("pages of %v: 700 items of 2 KB are two pages of at most 1 MB", pages)
			}
			if srv.name != "filetable" {
				return // dynalite sizes items its own way
			}
			// By the Developer Guide's sizes: the page ends with the item
			// that brings it to 1 MB.
			size := 0
			for _, it := range out[0].Items {
				size += sdkItemSize(it)
			}
			last := sdkItemSize(out[0].Items[len(out[0].Items)-1])
			if size < 1<<20 || size-last >= 1<<20 {
				t.Errorf("first page of %d bytes (last item %d): want it to end with the item that reaches 1 MiB", size, last)
			}
		})
	}
}

// sdkItemSize is an item's size by the Developer Guide's rules, for the
// items these tests write (strings and small integers).
func sdkItemSize(it avMap) int {
	size := 0
	for name, v := range it {
		size += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			size += len(v.Value)
		case *types.AttributeValueMemberN:
			size += 1 + (len(strings.TrimRight(v.Value, "0"))+1)/2
		}
	}
	return size
}
