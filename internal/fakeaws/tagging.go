package fakeaws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/orderpipe/orderpipe/internal/account"
)

// cloudResource is one resource of the stand-in's cloud.
type cloudResource struct {
	urn       resource.URN
	typ, name string // the pulumi-aws type token and the physical name
	id, arn   string
	owner     string            // what it is part of (a queue's policy, a topic's subscription, a role's policy): deleted with it
	tags      map[string]string // nil until the create has tagged it
}

func newCloudResource(urn resource.URN, id string, in, out resource.PropertyMap) *cloudResource {
	r := &cloudResource{urn: urn, typ: string(urn.Type()), name: physicalName(out), id: id}
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

// named are the types whose resources have a physical name, with AWS's
// answer to a create of a name that is taken: refused (ResourceInUseException,
// EntityAlreadyExists, ResourceConflictException,
// ResourceAlreadyExistsException), or "" where the create is idempotent
// (queues, topics) or overwrites (alarms, dashboards) and takes the name
// over.
var named = map[string]string{
	"aws:dynamodb/table:Table":               "ResourceInUseException: Table already exists",
	"aws:iam/role:Role":                      "EntityAlreadyExists: Role with name %[1]s already exists",
	"aws:iam/policy:Policy":                  "EntityAlreadyExists: A policy called %[1]s already exists",
	"aws:lambda/function:Function":           "ResourceConflictException: Function already exist: %[1]s",
	"aws:cloudwatch/logGroup:LogGroup":       "ResourceAlreadyExistsException: The specified log group already exists",
	"aws:sqs/queue:Queue":                    "",
	"aws:sns/topic:Topic":                    "",
	"aws:cloudwatch/metricAlarm:MetricAlarm": "",
	"aws:cloudwatch/dashboard:Dashboard":     "",
}

// add makes r live, as AWS's create does, or refuses it as AWS does.
func (p *Provider) add(r *cloudResource) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live == nil {
		p.live = map[resource.URN]*cloudResource{}
	}
	for urn, other := range p.live {
		if other.typ != r.typ || other.name == "" || other.name != r.name {
			continue
		}
		if msg := named[r.typ]; msg != "" {
			return fmt.Errorf("creating %s (%s): "+msg, r.urn.Name(), r.name)
		}
		delete(p.live, urn) // the same resource, now r's
	}
	p.live[r.urn] = r
	return nil
}

// tag gives r the tags of its inputs.
func (p *Provider) tag(r *cloudResource, in resource.PropertyMap) {
	tags := map[string]string{}
	if v, ok := in["tags"]; ok && v.IsObject() {
		for k, t := range v.ObjectValue() {
			if t.IsString() {
				tags[string(k)] = t.StringValue()
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r.tags = tags
}

// listedByTags are the types whose resources the Resource Groups Tagging API
// lists once they have a tag. It lists no IAM roles or policies, and
// dashboards, subscriptions and queue policies take no tags.
var listedByTags = map[string]bool{
	"aws:dynamodb/table:Table": true, "aws:sqs/queue:Queue": true, "aws:sns/topic:Topic": true,
	"aws:lambda/function:Function": true, "aws:lambda/eventSourceMapping:EventSourceMapping": true,
	"aws:cloudwatch/logGroup:LogGroup": true, "aws:cloudwatch/metricAlarm:MetricAlarm": true, "aws:kms/key:Key": true,
}

// Cloud is the stand-in's cloud seen as an AWS account: a Resource
// Groups Tagging API that pages (PageSize resources a page, where AWS gives
// up to 100), lookups by name, and deletes.
type Cloud struct {
	p        *Provider
	PageSize int
	pages    atomic.Int64
}

// Cloud returns the stand-in's account, paging by 3.
func (p *Provider) Cloud() *Cloud { return &Cloud{p: p, PageSize: 3} }

// Pages counts the pages the Tagging API has served.
func (a *Cloud) Pages() int64 { return a.pages.Load() }

// Tagged lists the live resources that carry every tag of filter, sorted by
// ARN, a page at a time: token is the index of the page's first resource.
func (a *Cloud) Tagged(_ context.Context, filter map[string]string, token string) ([]account.Resource, string, error) {
	a.pages.Add(1)
	a.p.mu.Lock()
	var all []account.Resource
	for _, r := range a.p.live {
		if !listedByTags[r.typ] || len(r.tags) == 0 || r.arn == "" {
			continue
		}
		match := true
		for k, v := range filter {
			match = match && r.tags[k] == v
		}
		if match {
			all = append(all, account.Resource{ARN: r.arn, Tags: maps.Clone(r.tags)})
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
// or not.
func (a *Cloud) Find(_ context.Context, typ, name string) (account.Resource, bool, error) {
	if _, ok := named[typ]; !ok {
		return account.Resource{}, false, fmt.Errorf("look up %s %s: %w", typ, name, account.ErrNoName)
	}
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	for _, r := range a.p.live {
		if r.typ == typ && r.name == name {
			return account.Resource{ARN: r.arn}, true, nil
		}
	}
	return account.Resource{}, false, nil
}

// Delete deletes the resource with the ARN and what is part of it, as
// account.AWS does; one already gone is no error.
func (a *Cloud) Delete(_ context.Context, res account.Resource) error {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	for urn, r := range a.p.live {
		if r.arn != res.ARN {
			continue
		}
		delete(a.p.live, urn)
		for purn, part := range a.p.live {
			if part.owner != "" && (part.owner == r.id || part.owner == r.arn || part.owner == r.name) {
				delete(a.p.live, purn)
			}
		}
	}
	return nil
}
