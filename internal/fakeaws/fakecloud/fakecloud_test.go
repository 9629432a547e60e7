package fakecloud

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/orderpipe/orderpipe/internal/account"
	"github.com/orderpipe/orderpipe/internal/fakeaws"
)

func start(t *testing.T) (*fakeaws.Provider, *fakeaws.Cloud, *Server) {
	t.Helper()
	p, err := fakeaws.Start("6.0.0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	cloud := p.Cloud()
	s, err := Start(p, cloud)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return p, cloud, s
}

// Another process sees the stand-in's account as the test sees it in
// process: the same pages of the Tagging API, the same lookups and errors
// (ErrNoName still ErrNoName), and its deletes delete.
func TestClientSeesTheCloud(t *testing.T) {
	p, cloud, s := start(t)
	mine := map[string]string{"orderpipe:ephemeral": "true", "orderpipe:owner": "acme"}
	for _, r := range []struct {
		typ, name string
		tags      map[string]string
	}{
		{"aws:sqs/queue:Queue", "q1", mine},
		{"aws:sqs/queue:Queue", "q2", mine},
		{"aws:sns/topic:Topic", "t1", mine},
		{"aws:dynamodb/table:Table", "orders", mine},
		{"aws:sqs/queue:Queue", "theirs", map[string]string{"orderpipe:owner": "other"}},
		{"aws:iam/role:Role", "role", mine}, // the Tagging API lists no roles
	} {
		if _, err := p.Put(r.typ, r.name, r.tags); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	c := &Client{URL: s.URL()}

	for _, filter := range []map[string]string{mine, {"orderpipe:owner": "other"}, {"no": "such"}, nil} {
		want, wantNext, wantErr := cloud.Tagged(ctx, filter, "")
		got, next, err := c.Tagged(ctx, filter, "")
		if !reflect.DeepEqual(got, want) || next != wantNext || (err == nil) != (wantErr == nil) {
			t.Errorf("Tagged(%v): %v %q %v; in process %v %q %v", filter, got, next, err, want, wantNext, wantErr)
		}
		for next != "" {
			want, wantNext, _ = cloud.Tagged(ctx, filter, next)
			got, next, err = c.Tagged(ctx, filter, next)
			if !reflect.DeepEqual(got, want) || next != wantNext || err != nil {
				t.Errorf("Tagged(%v) next page: %v %q %v; in process %v %q", filter, got, next, err, want, wantNext)
			}
		}
	}
	if _, _, err := c.Tagged(ctx, mine, "bad"); err == nil {
		t.Error("a bad page token: no error")
	}

	for _, q := range [][2]string{{"aws:sqs/queue:Queue", "q1"}, {"aws:iam/role:Role", "role"}, {"aws:sqs/queue:Queue", "none"}, {"aws:kms/key:Key", "k"}} {
		want, wantFound, wantErr := cloud.Find(ctx, q[0], q[1])
		got, found, err := c.Find(ctx, q[0], q[1])
		if !reflect.DeepEqual(got, want) || found != wantFound || errors.Is(err, account.ErrNoName) != errors.Is(wantErr, account.ErrNoName) ||
			(err == nil) != (wantErr == nil) {
			t.Errorf("Find(%v): %v %v %v; in process %v %v %v", q, got, found, err, want, wantFound, wantErr)
		}
	}

	q1, _, _ := cloud.Find(ctx, "aws:sqs/queue:Queue", "q1")
	if err := c.Delete(ctx, q1); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := cloud.Find(ctx, "aws:sqs/queue:Queue", "q1"); found {
		t.Error("the deleted queue is still there")
	}
	if err := c.Delete(ctx, q1); err != nil {
		t.Errorf("deleting what is gone: %v", err)
	}
}

// A client that gives up on a delete that takes long cancels it.
func TestClientCancelsADelete(t *testing.T) {
	p, cloud, s := start(t)
	p.DeletesTake("aws:dynamodb/table:Table", time.Minute)
	table, err := p.Put("aws:dynamodb/table:Table", "orders", map[string]string{"a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = (&Client{URL: s.URL()}).Delete(ctx, table)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("delete: %v after %v", err, time.Since(start))
	}
	if _, found, _ := cloud.Find(context.Background(), "aws:dynamodb/table:Table", "orders"); !found {
		t.Error("the table is gone: its deletion takes a minute")
	}
}

// The served provider is the stand-in (its version), and counts the
// cancellations an engine sends it.
func TestServesTheProviderAndCountsCancels(t *testing.T) {
	_, _, s := start(t)
	addr := "127.0.0.1:" + s.DebugProviders()[len("aws:"):]
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rp := pulumirpc.NewResourceProviderClient(conn)
	info, err := rp.GetPluginInfo(context.Background(), &emptypb.Empty{})
	if err != nil || info.GetVersion() != "6.0.0" {
		t.Fatalf("plugin info %v, %v", info, err)
	}
	if s.Cancels() != 0 {
		t.Fatalf("%d cancels before any", s.Cancels())
	}
	for range 2 {
		if _, err := rp.Cancel(context.Background(), &emptypb.Empty{}); err != nil {
			t.Fatal(err)
		}
	}
	if s.Cancels() != 2 {
		t.Errorf("%d cancels, want 2", s.Cancels())
	}
}
