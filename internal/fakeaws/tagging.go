package fakeaws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"github.com/orderpipe/orderpipe/internal/account"
)

// cloudResource is one resource of the stand-in's cloud.
type cloudResource struct {
	urn       resource.URN
	typ, name string // the pulumi-aws type token and the physical name
	region    string // where it lives; "" for a global resource (an IAM role, a dashboard)
	id, arn   string
	owner     string            // what it is part of (a queue's policy, a topic's subscription, a role's policy): deleted with it
	tags      map[string]string // as the create call gave them; nil for a type that takes none
	in        resource.PropertyMap
	ready     time.Time // still being created (CREATING, Creating) until then
	gone      time.Time // being deleted (DELETING, Deleting) until then; zero while not deleted
}

// untagged are the types whose create takes no tags.
var untagged = map[string]bool{
	"aws:cloudwatch/dashboard:Dashboard": true, "aws:sns/topicSubscription:TopicSubscription": true,
	"aws:sqs/queuePolicy:QueuePolicy": true, "aws:iam/rolePolicy:RolePolicy": true,
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": true, "aws:lambda/permission:Permission": true,
	"aws:lambda/alias:Alias": true, "aws:sns/topicPolicy:TopicPolicy": true,
}

func newCloudResource(region string, urn resource.URN, id string, in, out resource.PropertyMap) *cloudResource {
	typ := string(urn.Type())
	r := &cloudResource{urn: urn, typ: typ, name: physicalName(out), region: regionOf(typ, region), id: id, in: in, tags: tagsOf(typ, in)}
	for _, k := range []resource.PropertyKey{"arn", "dashboardArn"} {
		if v, ok := out[k]; ok && v.IsString() {
			r.arn = v.StringValue()
		}
	}
	for _, k := range []resource.PropertyKey{"queueUrl", "topic", "role"} {
		if v, ok := in[k]; ok && v.IsString() {
			r.owner = v.StringValue()
		}
	}
	return r
}

// tagsOf are the tags a create of typ with inputs in gives its resource:
// empty, not nil, when a type that takes tags is given none.
func tagsOf(typ string, in resource.PropertyMap) map[string]string {
	if untagged[typ] {
		return nil
	}
	tags := map[string]string{}
	if v, ok := in["tags"]; ok && v.IsObject() {
		for k, t := range v.ObjectValue() {
			if t.IsString() {
				tags[string(k)] = t.StringValue()
			}
		}
	}
	return tags
}

// named are the types whose resources have a physical name, with AWS's
// answer to a create of a name that is taken: refused (ResourceInUseException,
// EntityAlreadyExists, ResourceConflictException,
// ResourceAlreadyExistsException), or "" where the create returns the
// existing resource (CreateQueue, CreateTopic) or overwrites it
// (PutMetricAlarm, PutDashboard). Either way the resource stays what it was,
// with its tags: CreateQueue and CreateTopic return the existing one, and
// PutMetricAlarm ignores the tags of a call that updates an alarm.
var named = map[string]string{
	"aws:dynamodb/table:Table":               "ResourceInUseException: Table already exists: %[1]s",
	"aws:iam/role:Role":                      "EntityAlreadyExists: Role with name %[1]s already exists",
	"aws:iam/policy:Policy":                  "EntityAlreadyExists: A policy called %[1]s already exists",
	"aws:lambda/function:Function":           "ResourceConflictException: Function already exist: %[1]s",
	"aws:cloudwatch/logGroup:LogGroup":       "ResourceAlreadyExistsException: The specified log group already exists",
	"aws:sqs/queue:Queue":                    "",
	"aws:sns/topic:Topic":                    "",
	"aws:cloudwatch/metricAlarm:MetricAlarm": "",
	"aws:cloudwatch/dashboard:Dashboard":     "",
}

// deleting is AWS's answer to a create of a name whose resource is still
// being deleted, for the types whose deletes take a while.
var deleting = map[string]string{
	"aws:dynamodb/table:Table": "ResourceInUseException: Table already exists: %[1]s",
	"aws:sqs/queue:Queue":      "QueueDeletedRecently: You must wait 60 seconds after deleting a queue before you can create another with the same name (%[1]s)",
}

const mappingType = "aws:lambda/eventSourceMapping:EventSourceMapping"

// reap forgets the resources whose deletion has ended, but for the Tagging
// API's listing (ListsDeletedFor). p.mu is held.
func (p *Provider) reap(now time.Time) {
	for urn, r := range p.live {
		if !r.gone.IsZero() && !now.Before(r.gone) {
			delete(p.live, urn)
			if p.listsDeleted > 0 && listedByTags[r.typ] && len(r.tags) > 0 {
				p.deleted = append(p.deleted, deletedResource{account.Resource{ARN: r.arn, Tags: r.tags}, r.gone.Add(p.listsDeleted)})
			}
		}
	}
	p.deleted = slices.DeleteFunc(p.deleted, func(d deletedResource) bool { return !now.Before(d.until) })
}

// deletedResource is a resource gone from the cloud that the Tagging API
// still lists, until then.
type deletedResource struct {
	account.Resource
	until time.Time
}

// ListsDeletedFor makes the Tagging API list a resource for d after it is
// gone, as AWS's does for a while: a janitor that lists tags right after a
// destroy sees resources that Find no longer finds. Zero (the default)
// lists only what exists.
func (p *Provider) ListsDeletedFor(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.listsDeleted = d
}

// add makes r live, as AWS's create does, or refuses it as AWS does. It
// returns the resource the create gave: r, or the live one of the name that
// a queue's, topic's, alarm's or dashboard's create returns or overwrites.
func (p *Provider) add(r *cloudResource) (*cloudResource, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live == nil {
		p.live = map[resource.URN]*cloudResource{}
	}
	p.reap(time.Now())
	for _, other := range p.live {
		if other.region != r.region {
			continue // a name, and a mapping's queue and function, are a region's
		}
		if r.typ == mappingType && other.typ == mappingType && sameMapping(r.in, other.in) {
			return nil, fmt.Errorf("creating %s: ResourceConflictException: An event source mapping with event source (%s) and function (%s) already exists; its UUID is %s",
				r.urn.Name(), str(r.in, "eventSourceArn"), str(r.in, "functionName"), other.id)
		}
		if other.typ != r.typ || other.name == "" || other.name != r.name {
			continue
		}
		if msg, ok := deleting[r.typ]; ok && !other.gone.IsZero() {
			return nil, fmt.Errorf("creating %s: "+msg, r.urn.Name(), r.name)
		}
		if msg := named[r.typ]; msg != "" {
			return nil, fmt.Errorf("creating %s: "+msg, r.urn.Name(), r.name)
		}
		other.in = r.in // the same resource, as the create returns or overwrites it
		return other, nil
	}
	p.live[r.urn] = r
	return r, nil
}

// sameMapping says whether two mappings' inputs connect the same event
// source to the same function, which Lambda allows once.
func sameMapping(a, b resource.PropertyMap) bool {
	fn := func(m resource.PropertyMap) string {
		f := str(m, "functionName")
		if i := strings.LastIndex(f, ":function:"); i >= 0 {
			f = f[i+len(":function:"):]
		}
		return f
	}
	return str(a, "eventSourceArn") != "" && str(a, "eventSourceArn") == str(b, "eventSourceArn") && fn(a) == fn(b)
}

func str(m resource.PropertyMap, k resource.PropertyKey) string {
	if v, ok := m[k]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// retag gives r the tags of its new inputs, as an update's TagResource does.
func (p *Provider) retag(r *cloudResource, in resource.PropertyMap) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r.tags = tagsOf(r.typ, in)
	r.in = in
}

// Put puts a resource of typ with this physical name and tags in the
// stand-in's cloud, in the default Region, as another owner (another team, another backend,
// someone by hand) would create it: known to no stack of the test, under the
// URN urn:pulumi:other-owner::other::<typ>::<name>. Nil tags make it
// untagged; a dashboard takes none (PutDashboard gives it a body). A name
// that is taken gets AWS's answer: an error, or the resource that holds it.
func (p *Provider) Put(typ, name string, tags map[string]string) (account.Resource, error) {
	if _, ok := named[typ]; !ok {
		return account.Resource{}, fmt.Errorf("fakeaws: no named resources of type %s", typ)
	}
	in := resource.PropertyMap{"name": resource.NewStringProperty(name)}
	if tags != nil {
		in["tags"] = resource.NewPropertyValue(tagsMap(tags))
	}
	return p.put(typ, name, in)
}

// PutDashboard puts another owner's dashboard with this name and body in
// the stand-in's cloud, as Put does; a dashboard of the name is overwritten,
// as PutDashboard overwrites.
func (p *Provider) PutDashboard(name, body string) (account.Resource, error) {
	return p.put("aws:cloudwatch/dashboard:Dashboard", name, resource.PropertyMap{
		"dashboardName": resource.NewStringProperty(name), "dashboardBody": resource.NewStringProperty(body)})
}

func (p *Provider) put(typ, name string, in resource.PropertyMap) (account.Resource, error) {
	urn := resource.NewURN(tokens.QName("other-owner"), "other", "", tokens.Type(typ), name)
	id, out := Outputs(typ, name, in)
	r, err := p.add(newCloudResource(Region, urn, id, in, out))
	if err != nil {
		return account.Resource{}, err
	}
	return account.Resource{ARN: r.arn, Tags: maps.Clone(r.tags), Body: str(r.in, "dashboardBody")}, nil
}

func tagsMap(tags map[string]string) map[string]any {
	m := map[string]any{}
	for k, v := range tags {
		m[k] = v
	}
	return m
}

// listedByTags are the types whose resources the Resource Groups Tagging API
// lists once they have a tag. It lists no IAM roles or policies, and
// dashboards, subscriptions and queue policies take no tags.
var listedByTags = map[string]bool{
	"aws:dynamodb/table:Table": true, "aws:sqs/queue:Queue": true, "aws:sns/topic:Topic": true,
	"aws:lambda/function:Function": true, mappingType: true,
	"aws:cloudwatch/logGroup:LogGroup": true, "aws:cloudwatch/metricAlarm:MetricAlarm": true, "aws:kms/key:Key": true,
}

// Cloud is the stand-in's cloud seen as an AWS account in one region, as
// account.AWS sees it: a Resource Groups Tagging API that pages (PageSize
// resources a page, where AWS gives up to 100), lookups by name, and
// deletes. It sees the region's resources and the account's global ones
// (IAM roles, dashboards), as AWS's regional endpoints do.
type Cloud struct {
	p        *Provider
	region   string
	PageSize int
	pages    atomic.Int64
	refusals atomic.Int64
}

// Cloud returns the stand-in's account in the default Region, paging by 3.
func (p *Provider) Cloud() *Cloud { return p.CloudIn(Region) }

// CloudIn returns the stand-in's account in region, paging by 3.
func (p *Provider) CloudIn(region string) *Cloud { return &Cloud{p: p, region: region, PageSize: 3} }

// sees says whether the account in a's region sees r.
func (a *Cloud) sees(r *cloudResource) bool { return r.region == "" || r.region == a.region }

// Pages counts the pages the Tagging API has served.
func (a *Cloud) Pages() int64 { return a.pages.Load() }

// Tagged lists the live resources that carry every tag of filter, sorted by
// ARN, a page at a time: token is the index of the page's first resource.
// Like the Tagging API it lists a resource that is being deleted, and, with
// ListsDeletedFor, one deleted moments ago.
func (a *Cloud) Tagged(_ context.Context, filter map[string]string, token string) ([]account.Resource, string, error) {
	a.pages.Add(1)
	a.p.mu.Lock()
	a.p.reap(time.Now())
	var all []account.Resource
	matches := func(tags map[string]string) bool {
		for k, v := range filter {
			if tags[k] != v {
				return false
			}
		}
		return true
	}
	for _, r := range a.p.live {
		if listedByTags[r.typ] && len(r.tags) > 0 && r.arn != "" && a.sees(r) && matches(r.tags) {
			all = append(all, account.Resource{ARN: r.arn, Tags: maps.Clone(r.tags)})
		}
	}
	for _, d := range a.p.deleted {
		if matches(d.Tags) && arnRegion(d.ARN) == a.region {
			all = append(all, account.Resource{ARN: d.ARN, Tags: maps.Clone(d.Tags)})
		}
	}
	a.p.mu.Unlock()
	slices.SortFunc(all, func(x, y account.Resource) int { return strings.Compare(x.ARN, y.ARN) })
	start := 0
	if token != "" {
		var err error
		if start, err = strconv.Atoi(token); err != nil || start < 0 || start > len(all) {
			return nil, "", fmt.Errorf("InvalidParameterException: invalid pagination token %q", token)
		}
	}
	end := min(start+a.PageSize, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return all[start:end], next, nil
}

// Find looks a live resource up by type and physical name, whether tagged
// or not, with its tags, as account.AWS does.
func (a *Cloud) Find(_ context.Context, typ, name string) (account.Resource, bool, error) {
	if _, ok := named[typ]; !ok {
		return account.Resource{}, false, fmt.Errorf("look up %s %s: %w", typ, name, account.ErrNoName)
	}
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	a.p.reap(time.Now())
	for _, r := range a.p.live {
		if r.typ == typ && r.name == name && a.sees(r) {
			return account.Resource{ARN: r.arn, Tags: maps.Clone(r.tags), Body: str(r.in, "dashboardBody")}, true, nil
		}
	}
	return account.Resource{}, false, nil
}

// Refusals counts the deletes AWS refused because the resource was still
// being created (ResourceInUseException), which Delete retried.
func (a *Cloud) Refusals() int64 { return a.refusals.Load() }

// Delete deletes the resource with the ARN and what is part of it, as
// account.AWS does: an ARN of another region is refused, deleting nothing
// (AWS's deletes act on the name in the client's region); a table or mapping still being created refuses the
// delete (ResourceInUseException), which is retried with backoff; a
// deletion that takes a while (DeletesTake) is waited for, so that the name
// can be used again when Delete returns; one already gone, or being
// deleted, is no error.
func (a *Cloud) Delete(ctx context.Context, res account.Resource) error {
	if err := account.InRegion(res.ARN, a.region); err != nil {
		return err
	}
	backoff := 20 * time.Millisecond
	for {
		a.p.mu.Lock()
		now := time.Now()
		a.p.reap(now)
		var r *cloudResource
		for _, c := range a.p.live {
			if c.arn == res.ARN {
				r = c
			}
		}
		if r == nil {
			a.p.mu.Unlock()
			return nil
		}
		if r.gone.IsZero() && refusesDeleteWhileCreating[r.typ] && now.Before(r.ready) {
			a.p.mu.Unlock()
			a.refusals.Add(1)
			if err := sleep(ctx, backoff); err != nil {
				return fmt.Errorf("delete %s: ResourceInUseException: still being created: %w", res.ARN, err)
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		gone, started := a.p.startDelete(r, now, true)
		a.p.mu.Unlock()
		a.p.tellDeleting(started)
		if err := sleep(ctx, time.Until(gone)); err != nil {
			return fmt.Errorf("delete %s: waiting until it is gone: %w", res.ARN, err)
		}
		return nil
	}
}

// refusesDeleteWhileCreating are the types whose delete AWS refuses while
// their create runs: DeleteTable while a table is CREATING,
// DeleteEventSourceMapping while a mapping is Creating (or Updating).
var refusesDeleteWhileCreating = map[string]bool{"aws:dynamodb/table:Table": true, mappingType: true}

// defaultDeleteTakes are how long deletes take by default: on AWS a table
// stays DELETING and a mapping Deleting for seconds to minutes.
var defaultDeleteTakes = durations{"aws:dynamodb/table:Table": 200 * time.Millisecond, mappingType: 200 * time.Millisecond}

// DeletesTake makes every delete of typ take d: the resource stays
// (DELETING, Deleting) for d after its delete starts, and a create of its
// name (a table's, a queue's) or of a mapping of its event source and
// function is refused until it is gone. By default a table's and a mapping's
// delete take 200 ms; others are immediate.
func (p *Provider) DeletesTake(typ string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deleteTakes = p.deleteTakes.with(typ, d)
}

// startDelete starts deleting r, and, with parts, what is part of it, and
// returns when r will be gone, and the ARNs of the resources whose deletion
// it started (for tellDeleting). A resource already being deleted keeps its
// time. p.mu is held.
func (p *Provider) startDelete(r *cloudResource, now time.Time, parts bool) (time.Time, []string) {
	var started []string
	if r.gone.IsZero() {
		r.gone = now.Add(p.deleteTakes.of(r.typ, defaultDeleteTakes))
		started = append(started, r.arn)
	}
	if parts {
		for _, part := range p.live {
			if part.gone.IsZero() && part.owner != "" && part.region == r.region && (part.owner == r.id || part.owner == r.arn || part.owner == r.name) {
				part.gone = now
				started = append(started, part.arn)
			}
		}
	}
	p.reap(now)
	return r.gone, started
}

// DeletesStarted makes the provider tell ch the ARN of each resource whose
// deletion starts (it is DELETING, Deleting from then), by the engine or
// through Cloud; nil: none. A test waits on it rather than for a time.
func (p *Provider) DeletesStarted(ch chan<- string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deleteStarts = ch
}

// tellDeleting tells DeletesStarted's channel of the deletions started.
// p.mu is not held: the test reading the channel may call the provider.
func (p *Provider) tellDeleting(arns []string) {
	p.mu.Lock()
	ch := p.deleteStarts
	p.mu.Unlock()
	if ch == nil {
		return
	}
	for _, a := range arns {
		ch <- a
	}
}

// arnRegion is the region of an ARN: "" for a global resource's.
func arnRegion(resourceARN string) string {
	parts := strings.SplitN(resourceARN, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
