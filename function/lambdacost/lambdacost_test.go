package lambdacost

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderpipe/orderpipe/function"
)

func TestPricing(t *testing.T) {
	tests := []struct {
		memMB     int
		wall      time.Duration
		share     float64
		billedMS  float64
		perMillon float64 // GB-s per million orders in batches of 10
	}{
		{128, 31200 * time.Microsecond, 128.0 / 1769, 32, 400},
		{1024, 8 * time.Millisecond, 1024.0 / 1769, 8, 800},
		{1769, 7001 * time.Microsecond, 1, 8, 8.0 / 1000 * 1769 / 1024 * 1e5},
		{3008, 7 * time.Millisecond, 1, 7, 7.0 / 1000 * 3008 / 1024 * 1e5},
	}
	for _, tt := range tests {
		if got := Share(tt.memMB); got != tt.share {
			t.Errorf("Share(%d) = %v, want %v", tt.memMB, got, tt.share)
		}
		billed := BilledMS(tt.wall)
		if billed != tt.billedMS {
			t.Errorf("BilledMS(%v) = %v, want %v", tt.wall, billed, tt.billedMS)
		}
		if got := GBSecondsPerMillion(billed, tt.memMB, 10); got-tt.perMillon > 1e-9 || tt.perMillon-got > 1e-9 {
			t.Errorf("GBSecondsPerMillion(%v, %d) = %v, want %v", billed, tt.memMB, got, tt.perMillon)
		}
	}
}

// The stand-in answers as DynamoDB does, checksum included, so the
// function's real client takes its answers.
func TestStandInAnswersTheFunctionsClient(t *testing.T) {
	srv := httptest.NewServer(StandIn(time.Millisecond))
	defer srv.Close()
	db := function.NewDynamoDBClient(awsConfig(), 10, function.WithEndpoint(srv.URL))
	_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("t"),
		Item: map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: "o-1"}}})
	if err != nil {
		t.Fatal(err)
	}
}

// With handlerConcurrency records in flight, the function's client keeps a
// connection for each: a second batch opens none (the SDK's default keeps
// 10, and the others would pay a new TLS handshake on AWS).
func TestClientKeepsAConnectionPerRecord(t *testing.T) {
	const concurrency = 25
	// Each request is held until its whole batch is in flight, so that each
	// needs a connection of its own: on a loaded machine one that finished
	// before the last started once lent its connection, and the first batch
	// opened 23.
	standIn := StandIn(20 * time.Millisecond)
	var mu sync.Mutex
	arrived, all := 0, make(chan struct{})
	held := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		batch := all
		if arrived++; arrived%concurrency == 0 {
			close(all)
			all = make(chan struct{})
		}
		mu.Unlock()
		select {
		case <-batch:
		case <-time.After(10 * time.Second):
		}
		standIn.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(held)
	var opened atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	db := function.NewDynamoDBClient(awsConfig(), concurrency, function.WithEndpoint(srv.URL))
	batch := func() {
		var wg sync.WaitGroup
		for i := range concurrency {
			wg.Go(func() {
				_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("t"),
					Item: map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}}})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	batch()
	first := opened.Load()
	batch()
	if again := opened.Load() - first; again != 0 {
		t.Errorf("the second batch opened %d new connections (the first %d)", again, first)
	}
}
