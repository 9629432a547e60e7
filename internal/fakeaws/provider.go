// Package fakeaws is a stand-in for the Pulumi AWS provider plugin, served
// in-process for engine-level tests: the engine attaches to it through
// PULUMI_DEBUG_PROVIDERS=aws:<port>. It keeps inputs, diffs them, and gives
// created resources the ids, ARNs and URLs the program reads. It is a test
// double of the engine's plugin and touches no AWS.
package fakeaws

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Provider serves the stand-in. Version must be the pulumi-aws SDK version
// of go.mod: the engine asks for that plugin version.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer
	Version string

	creates, deletes atomic.Int64
	srv              *grpc.Server
	addr             string

	mu            sync.Mutex
	live          map[resource.URN]*cloudResource // by URN: what exists "in the cloud"
	slow          map[string]slowCreate
	deleteTakes   durations // over defaultDeleteTakes
	conflictRetry durations // over defaultConflictRetry
	listsDeleted  time.Duration
	deleted       []deletedResource // gone, still listed by the Tagging API
	deleteStarts  chan<- string     // told the ARN of each resource whose deletion starts
	// regions are the regions the engine configured its providers with,
	// by the address of the provider's connection: the engine dials the
	// stand-in once for each provider, and a provider deploys to one
	// region.
	regions map[string]string
}

// slowCreate makes creates of a type take long, as a table, a KMS key or an
// IAM role often does on AWS.
type slowCreate struct {
	d       time.Duration
	started chan<- string // told the URN as the create starts
}

// SlowCreates makes every create of typ take d (zero: no longer slow);
// started, when not nil, is told each such create's URN as it starts.
func (p *Provider) SlowCreates(typ string, d time.Duration, started chan<- string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.slow == nil {
		p.slow = map[string]slowCreate{}
	}
	if d <= 0 {
		delete(p.slow, typ)
		return
	}
	p.slow[typ] = slowCreate{d, started}
}

// Start serves the provider on a free port of 127.0.0.1.
func Start(version string) (*Provider, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakeaws: %w", err)
	}
	p := &Provider{Version: version, srv: grpc.NewServer(), addr: l.Addr().String()}
	pulumirpc.RegisterResourceProviderServer(p.srv, p)
	go p.srv.Serve(l)
	return p, nil
}

// DebugProviders is the value of PULUMI_DEBUG_PROVIDERS that makes the
// engine use this provider for the aws package.
func (p *Provider) DebugProviders() string {
	_, port, _ := net.SplitHostPort(p.addr)
	return "aws:" + port
}

// Live lists the URNs of the resources that exist in the stand-in's cloud:
// created and not yet gone (one being deleted is live until it is gone),
// whatever any state says. A test that ends with one has leaked it.
func (p *Provider) Live() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reap(time.Now())
	var urns []string
	for urn := range p.live {
		urns = append(urns, string(urn))
	}
	slices.Sort(urns)
	return urns
}

// Creates and Deletes count what the engine asked for.
func (p *Provider) Creates() int64 { return p.creates.Load() }
func (p *Provider) Deletes() int64 { return p.deletes.Load() }

// Stop stops serving.
func (p *Provider) Stop() { p.srv.Stop() }

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, opts)
}
func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, opts)
}

func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.Version}, nil
}

func (p *Provider) Attach(context.Context, *pulumirpc.PluginAttach) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *Provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{}, nil
}

func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *Provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Configure records the region the provider deploys to (its aws:region),
// for the calls that come through its connection.
func (p *Provider) Configure(ctx context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	region := req.GetVariables()["aws:config:region"]
	if v, ok := req.GetArgs().GetFields()["region"]; ok && v.GetStringValue() != "" {
		region = v.GetStringValue()
	}
	if pr, ok := peer.FromContext(ctx); ok && region != "" {
		p.mu.Lock()
		if p.regions == nil {
			p.regions = map[string]string{}
		}
		p.regions[pr.Addr.String()] = region
		p.mu.Unlock()
	}
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

// region is the region of the provider a call comes from: as configured,
// else the default Region.
func (p *Provider) region(ctx context.Context) string {
	if pr, ok := peer.FromContext(ctx); ok {
		p.mu.Lock()
		defer p.mu.Unlock()
		if r := p.regions[pr.Addr.String()]; r != "" {
			return r
		}
	}
	return Region
}

func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// Diff compares the old inputs with the new ones; an archive compares by its
// hash.
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, k := range keys(olds, news) {
		o, n := olds[k], news[k]
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			changed = append(changed, string(k))
		}
	}
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}, nil
}

func keys(maps ...resource.PropertyMap) []resource.PropertyKey {
	var ks []resource.PropertyKey
	for _, m := range maps {
		for k := range m {
			if !slices.Contains(ks, k) && !strings.HasPrefix(string(k), "__") {
				ks = append(ks, k)
			}
		}
	}
	slices.Sort(ks)
	return ks
}

// outputs are the id and outputs of the resource with these inputs in
// region.
func outputs(region, urnString string, inputs *structpb.Struct) (string, *structpb.Struct, error) {
	in, err := unmarshal(inputs)
	if err != nil {
		return "", nil, err
	}
	urn := resource.URN(urnString)
	id, out := OutputsIn(region, string(urn.Type()), urn.Name(), in)
	props, err := marshal(out)
	return id, props, err
}

// Create creates the resource in the stand-in's cloud with the tags of its
// inputs, as AWS creates with tags in the create call (CreateTable,
// CreateQueue, CreateFunction... take Tags): the resource exists, tagged,
// from the moment its create starts. As on AWS, a name that a live resource
// of the type already has is refused where AWS refuses it, and returns that
// resource, unchanged and with its own tags, where AWS's create is
// idempotent (queues, topics) or overwrites (alarms, dashboards). When the
// engine goes away mid-create (the CLI was killed), the resource stays, and
// AWS finishes creating it.
func (p *Provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if req.GetPreview() {
		// As the real provider: what AWS assigns at create time (ids, ARNs,
		// URLs) is unknown in a preview of a new resource.
		props, err := previewOutputs(p.region(ctx), req.GetUrn(), req.GetProperties())
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	in, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	urn := resource.URN(req.GetUrn())
	region := p.region(ctx)
	id, out := OutputsIn(region, string(urn.Type()), urn.Name(), in)
	props, err := marshal(out)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	slow, isSlow := p.slow[string(urn.Type())]
	p.mu.Unlock()
	r := newCloudResource(region, urn, id, in, out)
	if err := p.addRetrying(ctx, r, slow.d); err != nil {
		return nil, err
	}
	if isSlow {
		if slow.started != nil {
			slow.started <- string(urn)
		}
		select {
		case <-time.After(slow.d):
		case <-ctx.Done():
			return nil, fmt.Errorf("creating %s: %w", urn.Name(), ctx.Err())
		}
	}
	p.creates.Add(1)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// addRetrying adds r, retrying a refused name as long as the real provider
// does (RetriesConflicts). r is being created for creating after the
// attempt that adds it.
func (p *Provider) addRetrying(ctx context.Context, r *cloudResource, creating time.Duration) error {
	p.mu.Lock()
	retry := p.conflictRetry.of(r.typ, defaultConflictRetry)
	p.mu.Unlock()
	deadline := time.Now().Add(retry)
	for {
		if creating > 0 {
			r.ready = time.Now().Add(creating)
		}
		_, err := p.add(r)
		if err == nil || !time.Now().Before(deadline) {
			return err
		}
		if serr := sleep(ctx, min(50*time.Millisecond, time.Until(deadline))); serr != nil {
			return fmt.Errorf("%w (retried until: %w)", err, serr)
		}
	}
}

// defaultConflictRetry is how long the real provider retries a refused
// name: a function's ResourceConflictException ("Function already exist")
// for 5 minutes, so that a run cancelled meanwhile leaves a pending create
// that names someone else's function.
var defaultConflictRetry = durations{"aws:lambda/function:Function": 5 * time.Minute}

// RetriesConflicts makes a create of typ whose name is taken retry for d
// before it fails, as the real provider does (by default, a function's for 5
// minutes; the others' not at all).
func (p *Provider) RetriesConflicts(typ string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conflictRetry = p.conflictRetry.with(typ, d)
}

// durations are durations by resource type.
type durations map[string]time.Duration

// of is typ's duration, or its default.
func (ds durations) of(typ string, defaults durations) time.Duration {
	if d, ok := ds[typ]; ok {
		return d
	}
	return defaults[typ]
}

// with is ds with typ's duration set to d.
func (ds durations) with(typ string, d time.Duration) durations {
	if ds == nil {
		ds = durations{}
	}
	ds[typ] = d
	return ds
}

// previewOutputs are the outputs of a resource a preview would create: its
// inputs, and every output the provider computes unknown.
func previewOutputs(region, urnString string, inputs *structpb.Struct) (*structpb.Struct, error) {
	in, err := unmarshal(inputs)
	if err != nil {
		return nil, err
	}
	urn := resource.URN(urnString)
	_, computed := OutputsIn(region, string(urn.Type()), urn.Name(), in)
	out := in.Copy()
	for k := range computed {
		if _, isInput := in[k]; !isInput {
			out[k] = resource.MakeComputed(resource.NewStringProperty(""))
		}
	}
	return marshal(out)
}

func (p *Provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	_, props, err := outputs(p.region(ctx), req.GetUrn(), req.GetNews())
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	r := p.live[resource.URN(req.GetUrn())]
	p.mu.Unlock()
	if r != nil {
		p.retag(r, news)
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Delete deletes the resource of the type with the id, as AWS knows it
// (a queue or topic another stack's create returned is the same resource),
// and waits until it is gone, as the real provider waits for a table's or a
// mapping's deletion (retrying while one is still being created); one
// already gone (the janitor deleted it) counts as deleted, as the real
// provider treats it.
func (p *Provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	p.deletes.Add(1)
	urn := resource.URN(req.GetUrn())
	region := p.region(ctx)
	p.mu.Lock()
	var r *cloudResource
	for u, c := range p.live {
		if u == urn || c.typ == string(urn.Type()) && c.id == req.GetId() && c.id != "" && c.region == regionOf(c.typ, region) {
			r = c
		}
	}
	if r == nil {
		p.mu.Unlock()
		return &emptypb.Empty{}, nil
	}
	var ready time.Time
	if refusesDeleteWhileCreating[r.typ] {
		ready = r.ready
	}
	p.mu.Unlock()
	if err := sleep(ctx, time.Until(ready)); err != nil {
		return nil, fmt.Errorf("deleting %s: ResourceInUseException: still being created: %w", urn.Name(), err)
	}
	p.mu.Lock()
	gone, started := p.startDelete(r, time.Now(), false)
	p.mu.Unlock()
	p.tellDeleting(started)
	if err := sleep(ctx, time.Until(gone)); err != nil {
		return nil, fmt.Errorf("deleting %s: waiting until it is gone: %w", urn.Name(), err)
	}
	return &emptypb.Empty{}, nil
}

// Read reads the resource of the type with the id from the stand-in's
// cloud, as the real provider reads AWS (a refresh, an import): its inputs
// and outputs as they are there, or no id when it is gone.
func (p *Provider) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	urn := resource.URN(req.GetUrn())
	region := p.region(ctx)
	p.mu.Lock()
	p.reap(time.Now())
	var in resource.PropertyMap
	for _, r := range p.live {
		if r.typ == string(urn.Type()) && r.id == req.GetId() && r.gone.IsZero() && r.region == regionOf(r.typ, region) {
			in = r.in
		}
	}
	p.mu.Unlock()
	if in == nil {
		return &pulumirpc.ReadResponse{}, nil
	}
	_, out := OutputsIn(region, string(urn.Type()), urn.Name(), in)
	props, err := marshal(out)
	if err != nil {
		return nil, err
	}
	inputs, err := marshal(in)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: inputs}, nil
}

func (p *Provider) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	out, err := InvokeIn(p.region(ctx), req.GetTok())
	if err != nil {
		return nil, err
	}
	ret, err := marshal(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
