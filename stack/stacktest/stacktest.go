// Package stacktest runs the orderpipe program under the Pulumi Go SDK's
// mocks and records every resource it registers, for tests of the stack and
// of the policy pack. It is a test double of the engine and of AWS: nothing
// here talks to either.
package stacktest

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The identity the mocks answer with.
const (
	Account   = "123456789012"
	Region    = "eu-west-1"
	Partition = "aws"
)

// Resource is one registered resource, with the inputs the program gave it
// and the outputs the mocks returned.
type Resource struct {
	Type                 string
	Name                 string
	URN                  string // set when Mocks has a Project and Stack
	Parent               string // URN
	Dependencies         []string
	PropertyDependencies map[string][]string // property → URNs
	Custom               bool
	Protect              bool // pulumi.Protect
	RetainOnDelete       bool // pulumi.RetainOnDelete
	Inputs               resource.PropertyMap
	Outputs              resource.PropertyMap
}

// DependsOn reports whether the resource waits for the resource of the type
// and logical name, explicitly or through one of its inputs.
func (r Resource) DependsOn(typ, name string) bool {
	for _, urn := range r.Dependencies {
		if strings.HasSuffix(urn, "$"+typ+"::"+name) || strings.HasSuffix(urn, "::"+typ+"::"+name) {
			return true
		}
	}
	return false
}

// Mocks implements pulumi.MockResourceMonitor. Resources get the ARNs and
// URLs AWS would give them, derived from their physical names.
type Mocks struct {
	// Project and Stack name the URNs of the resources, as the engine would.
	Project, Stack string

	mu        sync.Mutex
	resources []Resource
}

// Resources returns what was registered so far, in order.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Resource(nil), m.resources...)
}

// Get returns the resource of the type and logical name.
func (m *Mocks) Get(typ, name string) (Resource, bool) {
	for _, r := range m.Resources() {
		if r.Type == typ && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// NewResource records the resource and computes its outputs.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, out := Outputs(args.TypeToken, args.Name, args.Inputs)
	var parent string
	var deps []string
	var protect, retain bool
	propDeps := map[string][]string{}
	if rpc := args.RegisterRPC; rpc != nil {
		parent, deps = rpc.GetParent(), rpc.GetDependencies()
		protect, retain = rpc.GetProtect(), rpc.GetRetainOnDelete()
		for k, v := range rpc.GetPropertyDependencies() {
			propDeps[k] = v.GetUrns()
		}
	}
	var urn string
	if m.Project != "" {
		parentType := tokens.Type("")
		if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
			parentType = p.QualifiedType()
		}
		urn = string(resource.NewURN(tokens.QName(m.Stack), tokens.PackageName(m.Project), parentType, tokens.Type(args.TypeToken), args.Name))
	}
	m.mu.Lock()
	m.resources = append(m.resources, Resource{
		Type: args.TypeToken, Name: args.Name, URN: urn, Parent: parent, Dependencies: deps, PropertyDependencies: propDeps, Custom: args.Custom,
		Protect: protect, RetainOnDelete: retain, Inputs: args.Inputs, Outputs: out,
	})
	m.mu.Unlock()
	return id, out, nil
}

// Outputs are the id and outputs AWS would give a resource of the type
// with these inputs: the inputs, and the ARN or URL the program reads,
// derived from the physical name.
func Outputs(typ, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	out := inputs.Copy()
	physical := physicalName(inputs)
	arn := func(service, resourcePart string) {
		out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:%s:%s:%s:%s:%s", Partition, service, Region, Account, resourcePart))
	}
	id := physical
	switch typ {
	case "aws:sqs/queue:Queue":
		arn("sqs", physical)
		id = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", Region, Account, physical)
		out["url"] = resource.NewStringProperty(id)
	case "aws:sns/topic:Topic":
		arn("sns", physical)
		id = out["arn"].StringValue()
	case "aws:dynamodb/table:Table":
		arn("dynamodb", "table/"+physical)
	case "aws:cloudwatch/logGroup:LogGroup":
		arn("logs", "log-group:"+physical)
	case "aws:lambda/function:Function":
		arn("lambda", "function:"+physical)
	case "aws:iam/role:Role":
		out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:%s:iam::%s:role/%s", Partition, Account, physical))
	case "aws:kms/key:Key":
		id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
		arn("kms", "key/"+id)
	case "aws:sns/topicSubscription:TopicSubscription":
		if t, ok := inputs["topic"]; ok && t.IsString() {
			id = t.StringValue() + ":" + name
		}
		out["arn"] = resource.NewStringProperty(id)
	}
	if id == "" {
		id = name + "-id"
	}
	return id, out
}

func physicalName(inputs resource.PropertyMap) string {
	for _, k := range []resource.PropertyKey{"name", "dashboardName"} {
		if v, ok := inputs[k]; ok && v.IsString() {
			return v.StringValue()
		}
	}
	return ""
}

// Call answers the invokes the program makes.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return Invoke(args.Token)
}

// Invoke answers the AWS invokes the program makes: caller identity,
// partition and region.
func Invoke(token string) (resource.PropertyMap, error) {
	switch token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": Account, "id": Account,
			"arn": fmt.Sprintf("arn:%s:iam::%s:user/test", Partition, Account), "userId": "AIDATEST",
		}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": Partition, "id": Partition, "dnsSuffix": "amazonaws.com"}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": Region, "id": Region}), nil
	}
	return nil, fmt.Errorf("stacktest: no mock for invoke %s", token)
}

// WithConfig gives the program configuration, with keys in "namespace:key"
// form.
func WithConfig(config map[string]string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) { info.Config = config }
}

// Builder stands in for the function build: it writes a small archive and
// records the architectures it was asked for.
type Builder struct {
	Dir string

	mu    sync.Mutex
	archs []string
}

// Build writes an archive that holds one executable "bootstrap".
func (b *Builder) Build(_ context.Context, arch string) (string, error) {
	b.mu.Lock()
	b.archs = append(b.archs, arch)
	b.mu.Unlock()
	path := filepath.Join(b.Dir, arch+".zip")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Store}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return "", err
	}
	if _, err := w.Write([]byte("#!/bin/sh\n")); err != nil {
		return "", err
	}
	return path, zw.Close()
}

// Archs are the architectures Build was asked for.
func (b *Builder) Archs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.archs...)
}
