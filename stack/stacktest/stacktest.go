// Package stacktest runs the orderpipe program under the Pulumi Go SDK's
// mocks and records every resource it registers, for tests of the stack and
// of the policy pack. It is a test double of the engine and of AWS: nothing
// here talks to either.
package stacktest

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/internal/fakeaws"
)

// The identity the mocks answer with: the stand-in provider's.
const (
	Account   = fakeaws.Account
	Region    = fakeaws.Region
	Partition = fakeaws.Partition
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
// URLs AWS would give them, derived from their physical names, as the
// stand-in provider (internal/fakeaws) gives them.
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
	id, out := fakeaws.Outputs(args.TypeToken, args.Name, args.Inputs)
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

// Call answers the invokes the program makes.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return fakeaws.Invoke(args.Token)
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
