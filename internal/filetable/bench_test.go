package filetable

import (
	"context"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderpipe/orderpipe/internal/awslocal"
	"github.com/orderpipe/orderpipe/internal/awslocal/awslocaltest"
)

// BenchmarkConditionalPut is the handler's write (a conditional PutItem of
// an order-sized item) through the SDK, side by side: the floor is a server
// that answers {} at once (the SDK and HTTP alone), then minidyn, dynalite
// and the file table.
func BenchmarkConditionalPut(b *testing.B) {
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte("{}"))), 10))
		w.Write([]byte("{}"))
	}))
	defer floor.Close()
	mini, err := awslocal.StartDynamoDB()
	if err != nil {
		b.Fatal(err)
	}
	defer mini.Close()
	ft, _ := startFileTable(b)
	dynalite := awslocaltest.Dynalite(b)

	for _, srv := range []struct {
		name string
		db   *dynamodb.Client
	}{
		{"floor", sdkClient(floor.URL)},
		{"minidyn", awslocal.DynamoDBClient(mini.Endpoint)},
		{"dynalite", sdkClient(dynalite)},
		{"filetable", sdkClient(ft.Endpoint)},
	} {
		table := "bench"
		if srv.name != "floor" {
			table = createTestTable(b, srv.db, "")
		}
		pad := strings.Repeat("x", 600)
		b.Run(srv.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				prefix := fmt.Sprintf("%p-", pb)
				for pb.Next() {
					i++
					_, err := srv.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table),
						Item:                avMap{"pk": avS(prefix + strconv.Itoa(i)), "body": avS(pad), "total": avN("12.50")},
						ConditionExpression: aws.String("attribute_not_exists(pk)")})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
