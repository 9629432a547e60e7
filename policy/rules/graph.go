package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// graph correlates the resources of a stack: which queue a mapping reads,
// which function it invokes, which queue is another's dead-letter queue.
type graph struct {
	resources []policyx.AnalyzerResource
}

func (g graph) ofType(typ string) []policyx.AnalyzerResource {
	var out []policyx.AnalyzerResource
	for _, r := range g.resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// target finds the resource of type typ that r's property key refers to:
// through the property's dependencies, which the engine knows even while the
// value itself is unknown, or by the literal value, compared with the
// candidates' attribute attr. decided is false when neither can tell; found
// is nil when the reference is to something outside the stack.
func (g graph) target(r policyx.AnalyzerResource, key, typ, attr string) (found *policyx.AnalyzerResource, decided bool) {
	candidates := g.ofType(typ)
	for i, c := range candidates {
		if slices.Contains(r.PropertyDependencies[key], c.URN) {
			return &candidates[i], true
		}
	}
	literal, ok := prop(r, key).str()
	if !ok {
		return nil, false
	}
	return g.match(literal, candidates, attr)
}

// match finds the candidate whose attribute attr equals literal.
func (g graph) match(literal string, candidates []policyx.AnalyzerResource, attr string) (*policyx.AnalyzerResource, bool) {
	decided := true
	for i, c := range candidates {
		v, ok := prop(c, attr).str()
		switch {
		case !ok:
			decided = false
		case v == literal && v != "":
			return &candidates[i], true
		}
	}
	return nil, decided
}

// redrive is a queue's redrive policy, set on the queue or by an
// aws:sqs/redrivePolicy:RedrivePolicy resource.
type redrive struct {
	from     policyx.AnalyzerResource // the resource that holds the policy
	key      string                   // its property
	doc      redriveDoc
	known    bool  // doc was read
	exists   bool  // a policy is set, known or not
	parseErr error // the policy is set but cannot be read: a violation
}

type redriveDoc struct {
	DeadLetterTargetArn string     `json:"deadLetterTargetArn"`
	MaxReceiveCount     countValue `json:"maxReceiveCount"`
}

// countValue is a count written as a JSON number or, as the SQS API
// reference writes maxReceiveCount, as a string of digits.
type countValue int

func (c *countValue) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("maxReceiveCount %s is not a whole number", b)
	}
	*c = countValue(n)
	return nil
}

// redriveOf returns the queue's redrive policy; decided is false when it
// cannot be told whether one exists.
func (g graph) redriveOf(queue policyx.AnalyzerResource) (rd redrive, decided bool) {
	if rd, ok := readRedrive(queue, "redrivePolicy"); !ok || rd.exists {
		return rd, ok
	}
	decided = true
	for _, r := range g.ofType(typeRedrivePolicy) {
		q, ok := g.target(r, "queueUrl", typeQueue, "url")
		switch {
		case !ok:
			decided = false
		case q != nil && q.URN == queue.URN:
			return readRedrive(r, "redrivePolicy")
		}
	}
	return redrive{}, decided
}

func readRedrive(r policyx.AnalyzerResource, key string) (redrive, bool) {
	rd := redrive{from: r, key: key}
	present, known, err := prop(r, key).jsonDoc(&rd.doc)
	rd.exists = present
	rd.known = known && err == nil && present
	if known && present && err != nil {
		rd.parseErr = jsonProblem(err)
	}
	// An unknown policy exists; whether it names a DLQ is for apply to say.
	return rd, true
}

// dlqOf returns the dead-letter queue a redrive policy names.
func (g graph) dlqOf(rd redrive) (*policyx.AnalyzerResource, bool) {
	if rd.known {
		return g.match(rd.doc.DeadLetterTargetArn, g.ofType(typeQueue), "arn")
	}
	queues := g.ofType(typeQueue)
	for i, q := range queues {
		if slices.Contains(rd.from.PropertyDependencies[rd.key], q.URN) {
			return &queues[i], true
		}
	}
	return nil, false
}

// sqsMappings are the event source mappings that read a queue of the
// stack, with that queue.
func (g graph) sqsMappings(p *Pack, policy string) []mapped {
	var out []mapped
	for _, m := range g.ofType(typeMapping) {
		q, ok := g.target(m, "eventSourceArn", typeQueue, "arn")
		if !ok {
			p.note(policy, m, "its event source is unknown until apply")
			continue
		}
		if q != nil {
			out = append(out, mapped{mapping: m, queue: *q})
		}
	}
	return out
}

type mapped struct {
	mapping, queue policyx.AnalyzerResource
}

// deadLetterPairs are the queues whose redrive policy names a dead-letter
// queue of this stack, with that queue. What cannot be told yet is noted.
func (g graph) deadLetterPairs(p *Pack, policy string) []deadLetterPair {
	var out []deadLetterPair
	for _, q := range g.ofType(typeQueue) {
		rd, ok := g.redriveOf(q)
		if !ok {
			p.note(policy, q, "whether it has a redrive policy is unknown until apply")
			continue
		}
		if !rd.exists {
			continue
		}
		dlq, ok := g.dlqOf(rd)
		if !ok {
			p.note(policy, q, "its dead-letter queue is unknown until apply")
			continue
		}
		if dlq != nil {
			out = append(out, deadLetterPair{source: q, dlq: *dlq})
		}
	}
	return out
}

type deadLetterPair struct {
	source, dlq policyx.AnalyzerResource
}

// functionOf finds the function of the stack a mapping invokes, however
// functionName names it: through the engine's dependencies on the function
// or on an alias of it, or as a literal name, ARN, partial ARN or alias
// ARN. found is nil for a function outside the stack; decided is false
// while it cannot be told.
func (g graph) functionOf(mapping policyx.AnalyzerResource) (found *policyx.AnalyzerResource, decided bool) {
	if fn, ok := g.target(mapping, "functionName", typeFunction, "arn"); ok && fn != nil {
		return fn, true
	}
	if alias, ok := g.target(mapping, "functionName", typeAlias, "arn"); ok && alias != nil {
		return g.functionByRef(*alias, "functionName")
	}
	return g.functionByRef(mapping, "functionName")
}

// functionByRef resolves r's property key, which names a function, to the
// function of the stack.
func (g graph) functionByRef(r policyx.AnalyzerResource, key string) (*policyx.AnalyzerResource, bool) {
	fns := g.ofType(typeFunction)
	for i, fn := range fns {
		if slices.Contains(r.PropertyDependencies[key], fn.URN) {
			return &fns[i], true
		}
	}
	literal, ok := prop(r, key).str()
	if !ok {
		return nil, false
	}
	name := functionName(literal)
	decided := true
	for i, fn := range fns {
		n, nok := prop(fn, "name").str()
		arn, aok := prop(fn, "arn").str()
		switch {
		case nok && n == name && n != "", aok && arn != "" && functionName(arn) == name:
			return &fns[i], true
		case !nok || !aok:
			decided = false
		}
	}
	return nil, decided
}

// functionName is the function's name in a reference to it: a name, an ARN
// or partial ARN, with or without a version or alias qualifier.
func functionName(ref string) string {
	parts := strings.Split(ref, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[5] == "function":
		return parts[6]
	case len(parts) >= 3 && parts[1] == "function":
		return parts[2]
	}
	return parts[0]
}

// failureDestinations are the properties through which AWS sends failures
// to a queue other than by an SQS redrive: an SNS subscription's redrive
// policy, a function's dead-letter queue, an asynchronous invocation's and
// a stream mapping's onFailure destination, an EventBridge target's
// dead-letter queue. The first key holds the engine's dependencies.
var failureDestinations = []struct {
	typ  string
	path []string
	json bool // the value is a JSON document with a deadLetterTargetArn
}{
	{typeTopicSubscribe, []string{"redrivePolicy"}, true},
	{typeFunction, []string{"deadLetterConfig", "targetArn"}, false},
	{"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", []string{"destinationConfig", "onFailure", "destination"}, false},
	{typeMapping, []string{"destinationConfig", "onFailure", "destinationArn"}, false},
	{"aws:cloudwatch/eventTarget:EventTarget", []string{"deadLetterConfig", "arn"}, false},
}

// failureQueues are the queues of the stack that receive failures from
// something other than an SQS redrive. decided is false while a
// destination is unknown and no dependency tells which queue it is.
func (g graph) failureQueues() (queues map[string]bool, decided bool) {
	queues, decided = map[string]bool{}, true
	all := g.ofType(typeQueue)
	for _, d := range failureDestinations {
		for _, r := range g.ofType(d.typ) {
			if dep := slices.IndexFunc(all, func(q policyx.AnalyzerResource) bool {
				return slices.Contains(r.PropertyDependencies[d.path[0]], q.URN)
			}); dep >= 0 {
				queues[all[dep].URN] = true
				continue
			}
			arn, ok := prop(r, d.path...).str()
			if d.json && ok && arn != "" {
				var doc redriveDoc
				arn = ""
				if _, known, _ := prop(r, d.path...).jsonDoc(&doc); known {
					arn = doc.DeadLetterTargetArn
				}
			}
			if !ok {
				decided = false
				continue
			}
			if q, ok := g.match(arn, all, "arn"); !ok {
				decided = false
			} else if q != nil {
				queues[q.URN] = true
			}
		}
	}
	return queues, decided
}
