// Package spec is what a stack of the pipeline is, without Pulumi: its
// configuration and the rules of each key, the stack-scoped physical names of
// its resources, the logical names and outputs, and the redrive policy. The
// Pulumi program (package stack), the local run and the operator tools all
// build on it; it imports no Pulumi SDK, so the local run and the operator
// tools compile without one.
package spec
