package fakeaws

import (
	"context"
	"errors"
	"maps"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/orderpipe/orderpipe/internal/account"
)

// creator creates resources through the provider as the engine does.
type creator struct {
	t *testing.T
	p *Provider
}

func (c creator) urn(stack, typ, logical string) resource.URN {
	return resource.NewURN(tokens.QName(stack), "orderpipe", "", tokens.Type(typ), logical)
}

// create creates a resource of typ named name in stack with the tags
// {stack: stack}.
func (c creator) create(ctx context.Context, stack, typ, logical, name string) (string, error) {
	key := "name"
	if typ == "aws:cloudwatch/dashboard:Dashboard" {
		key = "dashboardName"
	}
	return c.createWith(ctx, c.urn(stack, typ, logical), map[string]any{key: name, "tags": map[string]any{"stack": stack}})
}

func (c creator) createWith(ctx context.Context, urn resource.URN, inputs map[string]any) (string, error) {
	c.t.Helper()
	props, err := marshal(resource.NewPropertyMapFromMap(inputs))
	if err != nil {
		c.t.Fatal(err)
	}
	res, err := c.p.Create(ctx, &pulumirpc.CreateRequest{Urn: string(urn), Properties: props})
	return res.GetId(), err
}

// Creates behave as AWS's do with a name a live resource has: refused for a
// table, a role, a function; the existing resource, with its own tags, for
// a queue, a topic, an alarm or a dashboard. The Tagging API stand-in lists
// tagged resources page by page, never an IAM role.
func TestCreatesAndTheTaggingAPI(t *testing.T) {
	p := &Provider{}
	p.RetriesConflicts("aws:lambda/function:Function", 0)
	c := creator{t, p}
	ctx := context.Background()
	for _, tc := range []struct {
		typ, refusal string
	}{
		{"aws:dynamodb/table:Table", "ResourceInUseException"},
		{"aws:iam/role:Role", "EntityAlreadyExists"},
		{"aws:lambda/function:Function", "ResourceConflictException"},
		{"aws:cloudwatch/logGroup:LogGroup", "ResourceAlreadyExistsException"},
		{"aws:sqs/queue:Queue", ""},
		{"aws:sns/topic:Topic", ""},
		{"aws:cloudwatch/metricAlarm:MetricAlarm", ""},
		{"aws:cloudwatch/dashboard:Dashboard", ""},
	} {
		first, err := c.create(ctx, "a", tc.typ, "X", "shared-name")
		if err != nil {
			t.Fatalf("%s: %v", tc.typ, err)
		}
		second, err := c.create(ctx, "b", tc.typ, "X", "shared-name")
		switch {
		case tc.refusal == "" && (err != nil || second != first):
			t.Errorf("%s: a second create of the name: %q, %v; want the first's %q", tc.typ, second, err, first)
		case tc.refusal != "" && (err == nil || !strings.Contains(err.Error(), tc.refusal)):
			t.Errorf("%s: a second create of the name: %v, want %s", tc.typ, err, tc.refusal)
		}
		r, found, err := p.Cloud().Find(ctx, tc.typ, "shared-name")
		want := map[string]string{"stack": "a"} // the second create changed no tag
		if tc.typ == "aws:cloudwatch/dashboard:Dashboard" {
			want = nil
		}
		if err != nil || !found || !maps.Equal(r.Tags, want) || (want == nil) != (r.Tags == nil) {
			t.Errorf("%s: found %v %+v (%v), want tags %v", tc.typ, found, r, err, want)
		}
	}
	if live := len(p.Live()); live != 8 {
		t.Errorf("%d live, want 8 (one of each type): %v", live, p.Live())
	}
	for _, urn := range p.Live() {
		if !strings.HasPrefix(urn, "urn:pulumi:a::") {
			t.Errorf("%s: live under another stack's URN; the resource is the first create's", urn)
		}
	}

	cloud := p.Cloud()
	var arns []string
	for token := ""; ; {
		page, next, err := cloud.Tagged(ctx, map[string]string{"stack": "a"}, token)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > cloud.PageSize {
			t.Errorf("a page of %d", len(page))
		}
		for _, r := range page {
			arns = append(arns, r.ARN)
		}
		if next == "" {
			break
		}
		token = next
	}
	// Neither the role (not listed) nor the dashboard (no tags).
	if len(arns) != 6 || cloud.Pages() != 2 {
		t.Errorf("listed %v in %d pages, want 6 in 2", arns, cloud.Pages())
	}
	if r, found, err := cloud.Find(ctx, "aws:iam/role:Role", "shared-name"); err != nil || !found {
		t.Fatalf("the role is not found by name: %v", err)
	} else if err := cloud.Delete(ctx, r); err != nil || len(p.Live()) != 7 {
		t.Errorf("delete of %s: %v; %d live", r.ARN, err, len(p.Live()))
	}
}

// A resource is in the cloud with its tags from the moment its create
// starts, as AWS creates with tags in the create call, and stays when the
// create is cut short.
func TestTaggedFromTheCreateCall(t *testing.T) {
	for _, typ := range []string{"aws:dynamodb/table:Table", "aws:sqs/queue:Queue", "aws:sns/topic:Topic",
		"aws:lambda/function:Function", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:iam/role:Role"} {
		t.Run(typ, func(t *testing.T) {
			p := &Provider{}
			started := make(chan string, 1)
			p.SlowCreates(typ, time.Minute, started)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := creator{t, p}.create(ctx, "pr-1", typ, "X", "pr-1-X")
				done <- err
			}()
			<-started
			r, found, err := p.Cloud().Find(context.Background(), typ, "pr-1-X")
			if err != nil || !found || r.Tags["stack"] != "pr-1" {
				t.Errorf("while its create runs: found %v %+v (%v), want it tagged stack=pr-1", found, r, err)
			}
			cancel()
			if err := <-done; err == nil {
				t.Error("the cut-short create succeeded")
			}
			if r, found, _ := p.Cloud().Find(context.Background(), typ, "pr-1-X"); !found || r.Tags["stack"] != "pr-1" {
				t.Errorf("after its create was cut short: found %v %+v", found, r)
			}
		})
	}
}

// Put puts another owner's resource of each named type in the cloud,
// tagged or not; a create of its name then gets AWS's answer and the
// resource keeps its owner's tags.
func TestAnotherOwnersResources(t *testing.T) {
	theirs := map[string]string{"orderpipe:owner": "someone-else", "stack": "pr-1"}
	for _, typ := range []string{"aws:dynamodb/table:Table", "aws:sqs/queue:Queue", "aws:sns/topic:Topic",
		"aws:lambda/function:Function", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/dashboard:Dashboard"} {
		for _, tags := range []map[string]string{theirs, nil} {
			p := &Provider{}
			p.RetriesConflicts("aws:lambda/function:Function", 0)
			put, err := p.Put(typ, "pr-1-X", tags)
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			want := tags
			switch {
			case typ == "aws:cloudwatch/dashboard:Dashboard":
				want = nil
			case tags == nil:
				want = map[string]string{}
			}
			if put.ARN == "" || !maps.Equal(put.Tags, want) || (put.Tags == nil) != (want == nil) {
				t.Errorf("%s %v: put %+v", typ, tags, put)
			}
			_, createErr := creator{t, p}.create(context.Background(), "pr-1", typ, "X", "pr-1-X")
			r, found, err := p.Cloud().Find(context.Background(), typ, "pr-1-X")
			if err != nil || !found || r.ARN != put.ARN || !maps.Equal(r.Tags, want) {
				t.Errorf("%s %v: after our create (%v): found %v %+v (%v), want %+v", typ, tags, createErr, found, r, err, put)
			}
			if live := p.Live(); len(live) != 1 || !strings.HasPrefix(live[0], "urn:pulumi:other-owner::") {
				t.Errorf("%s %v: live %v, want only the other owner's", typ, tags, live)
			}
		}
	}
	if _, err := (&Provider{}).Put("aws:kms/key:Key", "k", nil); err == nil {
		t.Error("put a key by name; keys have no name")
	}
}

// Lambda allows one mapping of an event source to a function.
func TestOneMappingPerQueueAndFunction(t *testing.T) {
	p := &Provider{}
	c := creator{t, p}
	ctx := context.Background()
	mapping := func(stack, queue, fn string) error {
		_, err := c.createWith(ctx, c.urn(stack, mappingType, "M"), map[string]any{
			"eventSourceArn": "arn:aws:sqs:eu-west-1:123456789012:" + queue,
			"functionName":   "arn:aws:lambda:eu-west-1:123456789012:function:" + fn,
			"tags":           map[string]any{"stack": stack},
		})
		return err
	}
	if err := mapping("a", "q", "f"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		queue, fn string
		ok        bool
	}{{"q", "f", false}, {"q", "g", true}, {"r", "f", true}} {
		if err := mapping("b-"+tc.queue+tc.fn, tc.queue, tc.fn); (err == nil) != tc.ok || !tc.ok && !strings.Contains(err.Error(), "ResourceConflictException") {
			t.Errorf("a mapping of %s to %s beside one of q to f: %v", tc.queue, tc.fn, err)
		}
	}
}

// AWS's delete semantics, mirrored: a table stays DELETING and a mapping
// Deleting for a while, their names (a mapping's queue and function) taken
// until they are gone; Delete waits for that, retries while the resource is
// still being created, and is no error on a resource already gone.
func TestDeleteSemantics(t *testing.T) {
	const (
		table = "aws:dynamodb/table:Table"
		queue = "aws:sqs/queue:Queue"
		takes = 300 * time.Millisecond
	)
	mappingInputs := map[string]any{
		"eventSourceArn": "arn:aws:sqs:eu-west-1:123456789012:q",
		"functionName":   "arn:aws:lambda:eu-west-1:123456789012:function:f",
		"tags":           map[string]any{"stack": "a"},
	}
	for _, tc := range []struct {
		name     string
		typ      string
		creating bool   // the create was cut short and is still running in AWS
		reuse    string // the answer to a create of the name while it is being deleted
	}{
		{"table", table, false, "ResourceInUseException"},
		{"table being created", table, true, "ResourceInUseException"},
		{"queue", queue, false, "QueueDeletedRecently"},
		{"mapping", mappingType, false, "ResourceConflictException"},
		{"mapping being created", mappingType, true, "ResourceConflictException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Provider{}
			p.DeletesTake(tc.typ, takes)
			c := creator{t, p}
			ctx := context.Background()
			create := func(ctx context.Context, stack string) error {
				if tc.typ == mappingType {
					_, err := c.createWith(ctx, c.urn(stack, mappingType, "M"), mappingInputs)
					return err
				}
				_, err := c.create(ctx, stack, tc.typ, "X", "the-name")
				return err
			}
			if tc.creating {
				p.SlowCreates(tc.typ, takes, nil)
				cut, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
				if err := create(cut, "a"); err == nil {
					t.Fatal("the cut-short create succeeded")
				}
				cancel()
				p.SlowCreates(tc.typ, 0, nil)
			} else if err := create(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			live := p.Live()
			if len(live) != 1 {
				t.Fatalf("live: %v", live)
			}
			cloud := p.Cloud()
			arn := p.live[resource.URN(live[0])].arn
			deleting := make(chan string, 1)
			p.DeletesStarted(deleting)
			start := time.Now()
			deleted := make(chan error, 1)
			go func() { deleted <- cloud.Delete(ctx, account.Resource{ARN: arn}) }()
			if started := <-deleting; started != arn {
				t.Fatalf("the deletion of %s started, want %s", started, arn)
			}
			if err := create(ctx, "b"); err == nil || !strings.Contains(err.Error(), tc.reuse) {
				t.Errorf("a create while it is being deleted: %v, want %s", err, tc.reuse)
			}
			if err := <-deleted; err != nil {
				t.Fatal(err)
			}
			want := takes
			if tc.creating {
				want += takes - 10*time.Millisecond // until created, then deleted
				if cloud.Refusals() == 0 {
					t.Error("the delete of a resource being created was not refused (ResourceInUseException)")
				}
			}
			if took := time.Since(start); took < want {
				t.Errorf("Delete returned after %v, before the resource was gone (%v)", took, want)
			}
			if live := p.Live(); len(live) != 0 {
				t.Errorf("live after Delete: %v", live)
			}
			if err := create(ctx, "b"); err != nil {
				t.Errorf("a create of the name once it is gone: %v", err)
			}
			start = time.Now()
			if err := cloud.Delete(ctx, account.Resource{ARN: "arn:aws:dynamodb:eu-west-1:123456789012:table/gone"}); err != nil || time.Since(start) > takes/3 {
				t.Errorf("the delete of a resource already gone: %v after %v", err, time.Since(start))
			}
		})
	}
}

// The real provider retries a function's ResourceConflictException ("Function
// already exist") for minutes: the create fails when the name stays taken,
// goes on when it is freed, and a run cancelled meanwhile has created
// nothing.
func TestFunctionConflictRetried(t *testing.T) {
	const fn = "aws:lambda/function:Function"
	for _, tc := range []struct {
		name   string
		free   bool // the other owner deletes theirs meanwhile
		cancel bool // the run is cancelled meanwhile
		want   string
	}{
		{"name stays taken", false, false, "ResourceConflictException"},
		{"name freed", true, false, ""},
		{"run cancelled", false, true, "context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Provider{}
			p.RetriesConflicts(fn, 400*time.Millisecond)
			theirs, err := p.Put(fn, "pr-1-F", map[string]string{"orderpipe:owner": "someone-else"})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			time.AfterFunc(100*time.Millisecond, func() {
				if tc.free {
					p.Cloud().Delete(context.Background(), theirs)
				}
				if tc.cancel {
					cancel()
				}
			})
			start := time.Now()
			_, err = creator{t, p}.create(ctx, "pr-1", fn, "F", "pr-1-F")
			took := time.Since(start)
			switch {
			case tc.want == "" && err != nil, tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("create: %v, want %q", err, tc.want)
			case took < 100*time.Millisecond:
				t.Errorf("the create gave up after %v, without retrying", took)
			}
			r, found, _ := p.Cloud().Find(context.Background(), fn, "pr-1-F")
			if tc.free != (found && r.Tags["stack"] == "pr-1") || !tc.free && (!found || r.ARN != theirs.ARN || r.Tags["orderpipe:owner"] != "someone-else") {
				t.Errorf("the function of the name: found %v %+v", found, r)
			}
		})
	}
}

// The Tagging API lists a resource deleted moments ago (ListsDeletedFor);
// Find does not find it, and deleting it again is no error and no wait.
func TestTaggingAPIListsTheJustDeleted(t *testing.T) {
	p := &Provider{}
	p.ListsDeletedFor(300 * time.Millisecond)
	ctx := context.Background()
	if _, err := (creator{t, p}).create(ctx, "a", "aws:dynamodb/table:Table", "T", "a-T"); err != nil {
		t.Fatal(err)
	}
	cloud := p.Cloud()
	listed := func() []account.Resource {
		page, _, err := cloud.Tagged(ctx, map[string]string{"stack": "a"}, "")
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	table := listed()
	if len(table) != 1 {
		t.Fatalf("listed %v", table)
	}
	if err := cloud.Delete(ctx, table[0]); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := cloud.Find(ctx, "aws:dynamodb/table:Table", "a-T"); found || len(p.Live()) != 0 {
		t.Errorf("found after its delete: %v", p.Live())
	}
	if again := listed(); len(again) != 1 || again[0].ARN != table[0].ARN || again[0].Tags["stack"] != "a" {
		t.Errorf("the Tagging API right after the delete: %v", again)
	}
	start := time.Now()
	if err := cloud.Delete(ctx, table[0]); err != nil || time.Since(start) > 100*time.Millisecond {
		t.Errorf("a delete of the deleted table: %v after %v", err, time.Since(start))
	}
	time.Sleep(300 * time.Millisecond)
	if later := listed(); len(later) != 0 {
		t.Errorf("still listed after the lag: %v", later)
	}
}

// Read reads the cloud, as the real provider reads AWS for a refresh or an
// import: a live resource's inputs and outputs by its id, nothing for one
// that is gone. Find gives a dashboard's body.
func TestReadAndDashboardBody(t *testing.T) {
	p := &Provider{}
	c := creator{t, p}
	ctx := context.Background()
	const table = "aws:dynamodb/table:Table"
	urn := c.urn("a", table, "T")
	id, err := c.createWith(ctx, urn, map[string]any{"name": "a-T", "tags": map[string]any{"stack": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	read := func(id string) *pulumirpc.ReadResponse {
		res, err := p.Read(ctx, &pulumirpc.ReadRequest{Urn: string(urn), Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := read(id)
	out, err := unmarshal(res.GetProperties())
	if err != nil {
		t.Fatal(err)
	}
	if res.GetId() != id || str(out, "arn") != "arn:aws:dynamodb:eu-west-1:123456789012:table/a-T" || !out["tags"].IsObject() {
		t.Errorf("read %s: %q %v", id, res.GetId(), out)
	}
	if res := read("not-there"); res.GetId() != "" {
		t.Errorf("read of an id nobody has: %q", res.GetId())
	}
	if err := p.Cloud().Delete(ctx, account.Resource{ARN: str(out, "arn")}); err != nil {
		t.Fatal(err)
	}
	if res := read(id); res.GetId() != "" {
		t.Errorf("read after its delete: %q", res.GetId())
	}

	put, err := p.PutDashboard("theirs", `{"widgets":[]}`)
	if err != nil {
		t.Fatal(err)
	}
	r, found, err := p.Cloud().Find(ctx, "aws:cloudwatch/dashboard:Dashboard", "theirs")
	if err != nil || !found || r.Body != `{"widgets":[]}` || r.Tags != nil || r.ARN != put.ARN {
		t.Errorf("the dashboard: found %v %+v (%v)", found, r, err)
	}
}

// configured is a context of a call through the connection of a provider
// that the engine configured for region, as the engine dials the stand-in
// once for each provider.
func configured(t *testing.T, p *Provider, region string, port int) context.Context {
	t.Helper()
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}})
	args, err := structpb.NewStruct(map[string]any{"region": region})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Configure(ctx, &pulumirpc.ConfigureRequest{Args: args, Variables: map[string]string{"aws:config:region": region}}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// The stand-in is many regions, as AWS is: a provider deploys to the region
// it is configured with, ARNs and URLs name it, a regional name is one
// resource in each region, and an account in one region sees that region's
// resources and the global ones (IAM roles, dashboards), which have one name
// in the whole account and no region in their ARNs.
func TestRegions(t *testing.T) {
	p := &Provider{}
	c := creator{t, p}
	eu, us := configured(t, p, "eu-west-1", 40001), configured(t, p, "us-east-1", 40002)
	for _, tc := range []struct {
		typ, arnPrefix string
		global         bool
	}{
		{"aws:dynamodb/table:Table", "arn:aws:dynamodb:%s:123456789012:table/", false},
		{"aws:sqs/queue:Queue", "arn:aws:sqs:%s:123456789012:", false},
		{"aws:sns/topic:Topic", "arn:aws:sns:%s:123456789012:", false},
		{"aws:lambda/function:Function", "arn:aws:lambda:%s:123456789012:function:", false},
		{"aws:cloudwatch/metricAlarm:MetricAlarm", "arn:aws:cloudwatch:%s:123456789012:alarm:", false},
		{"aws:iam/role:Role", "arn:aws:iam::123456789012:role/", true},
		{"aws:cloudwatch/dashboard:Dashboard", "arn:aws:cloudwatch::123456789012:dashboard/", true},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			p.RetriesConflicts(tc.typ, 0)
			key := "name"
			if tc.typ == "aws:cloudwatch/dashboard:Dashboard" {
				key = "dashboardName"
			}
			create := func(ctx context.Context, stack string) error {
				_, err := c.createWith(ctx, c.urn(stack, tc.typ, "X"), map[string]any{key: "same-name", "tags": map[string]any{"stack": stack}})
				return err
			}
			if err := create(us, "in-us"); err != nil {
				t.Fatal(err)
			}
			errEU := create(eu, "in-eu")
			usARN := strings.ReplaceAll(tc.arnPrefix, "%s", "us-east-1") + "same-name"
			euARN := strings.ReplaceAll(tc.arnPrefix, "%s", "eu-west-1") + "same-name"
			if tc.global {
				euARN = usARN
			}
			for _, w := range []struct {
				ctx         context.Context
				arn, region string
			}{{eu, euARN, "eu-west-1"}, {us, usARN, "us-east-1"}} {
				r, found, err := p.CloudIn(w.region).Find(context.Background(), tc.typ, "same-name")
				if err != nil || !found || r.ARN != w.arn {
					t.Errorf("found in %s: %v %+v (%v), want %s", w.region, found, r, err, w.arn)
				}
			}
			live := 0
			for _, urn := range p.Live() {
				if strings.Contains(urn, tc.typ+"::X") {
					live++
				}
			}
			if tc.global && live != 1 || !tc.global && (live != 2 || errEU != nil) {
				t.Errorf("%d live after a create of the name in each region (%v)", live, errEU)
			}
			if !tc.global {
				err := p.CloudIn("eu-west-1").Delete(context.Background(), account.Resource{ARN: usARN})
				if !errors.Is(err, account.ErrOtherRegion) {
					t.Errorf("the eu-west-1 account deleting a us-east-1 ARN: %v, want ErrOtherRegion", err)
				}
				if _, found, _ := p.CloudIn("us-east-1").Find(context.Background(), tc.typ, "same-name"); !found {
					t.Error("the us-east-1 resource is gone after a refused delete")
				}
			}
		})
	}
	for region, ctx := range map[string]context.Context{"eu-west-1": eu, "us-east-1": us} {
		out, err := p.Invoke(ctx, &pulumirpc.InvokeRequest{Tok: "aws:index/getRegion:getRegion"})
		if got := out.GetReturn().GetFields()["name"].GetStringValue(); err != nil || got != region {
			t.Errorf("getRegion through the %s provider: %q (%v)", region, got, err)
		}
		page, _, err := p.CloudIn(region).Tagged(context.Background(), map[string]string{}, "")
		for _, r := range page {
			if !strings.Contains(r.ARN, ":"+region+":") {
				t.Errorf("the Tagging API in %s lists %s", region, r.ARN)
			}
		}
		if err != nil || len(page) != 3 { // a page of 3 of the region's 5
			t.Errorf("the Tagging API in %s: %d (%v)", region, len(page), err)
		}
	}
}

// PutDashboard overwrites a dashboard of the name, whoever made it (its API
// reference: "If a dashboard with the name you specify already exists, it is
// overwritten"): the dashboard stays the one that was there first, under
// its first maker's URN, with the last call's body.
func TestPutDashboardOverwrites(t *testing.T) {
	const typ = "aws:cloudwatch/dashboard:Dashboard"
	ctx := context.Background()
	ours := func(c creator) error {
		_, err := c.createWith(ctx, c.urn("pr-1", typ, "Overview"), map[string]any{"dashboardName": "d", "dashboardBody": `{"ours":true}`})
		return err
	}
	for _, tc := range []struct {
		name        string
		theirsFirst bool
		body, urn   string
	}{
		{"theirs, then ours", true, `{"ours":true}`, "urn:pulumi:other-owner::"},
		{"ours, then theirs", false, `{"theirs":true}`, "urn:pulumi:pr-1::"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Provider{}
			c := creator{t, p}
			first, second := func() error { _, err := p.PutDashboard("d", `{"theirs":true}`); return err }, func() error { return ours(c) }
			if !tc.theirsFirst {
				first, second = second, first
			}
			if err := first(); err != nil {
				t.Fatal(err)
			}
			if err := second(); err != nil {
				t.Fatalf("the second put of the name: %v; PutDashboard overwrites", err)
			}
			r, found, err := p.Cloud().Find(ctx, typ, "d")
			if err != nil || !found || r.Body != tc.body {
				t.Errorf("found %v %+v (%v), want the body %s", found, r, err, tc.body)
			}
			if live := p.Live(); len(live) != 1 || !strings.HasPrefix(live[0], tc.urn) {
				t.Errorf("live %v, want one dashboard under %s", live, tc.urn)
			}
		})
	}
}
