package rules

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orderpipe/orderpipe/stack"
)

func (p *Pack) stackPolicy(name, description string, level policyx.EnforcementLevel, check func(graph, policyx.PolicyManager)) policyx.Policy {
	return policyx.NewStackValidationPolicy(name, policyx.StackValidationPolicyArgs{
		Description:      description,
		EnforcementLevel: level,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			check(graph{resources: args.Resources}, args.Manager)
			return nil
		},
	})
}

func (p *Pack) queueHasDLQ() policyx.Policy {
	const name = "sqs-queue-has-dlq"
	return p.stackPolicy(name,
		"A queue that feeds a Lambda has a redrive policy to a dead-letter queue.",
		policyx.EnforcementLevelMandatory,
		func(g graph, m policyx.PolicyManager) {
			for _, mq := range g.sqsMappings(p, name) {
				rd, ok := g.redriveOf(mq.queue)
				switch {
				case !ok:
					p.note(name, mq.queue, "whether a RedrivePolicy resource targets it is unknown until apply")
				case !rd.exists:
					m.ReportViolation(fmt.Sprintf("%s feeds the event source mapping %s but has no redrive policy; set redrivePolicy with a deadLetterTargetArn, or add an aws:sqs/redrivePolicy:RedrivePolicy for it",
						mq.queue.Name, mq.mapping.Name), mq.queue.URN)
				case rd.parseErr != nil:
					m.ReportViolation(fmt.Sprintf("%s redrivePolicy cannot be read: %v; write it as JSON such as {\"deadLetterTargetArn\": \"<DLQ ARN>\", \"maxReceiveCount\": 5}",
						rd.from.Name, rd.parseErr), mq.queue.URN)
				case !rd.known:
					p.note(name, mq.queue, "its redrive policy is unknown until apply")
				case rd.doc.DeadLetterTargetArn == "":
					m.ReportViolation(fmt.Sprintf("%s has a redrive policy without a deadLetterTargetArn; name its dead-letter queue", mq.queue.Name), mq.queue.URN)
				}
			}
		})
}

func (p *Pack) visibilityTimeoutRatio() policyx.Policy {
	const name = "sqs-visibility-timeout-ratio"
	return p.stackPolicy(name,
		"A queue's visibility timeout covers visibilityRatio (default 6) × its function's timeout + the batching window.",
		policyx.EnforcementLevelMandatory,
		func(g graph, m policyx.PolicyManager) {
			ratio := p.current().VisibilityRatio
			for _, mq := range g.sqsMappings(p, name) {
				fn, ok := g.functionOf(mq.mapping)
				if !ok {
					p.note(name, mq.mapping, "its function is unknown until apply")
					continue
				}
				timeout := defaultFunctionTimeout
				if fn != nil {
					if timeout, ok = prop(*fn, "timeout").int(defaultFunctionTimeout); !ok {
						p.note(name, *fn, "its timeout is unknown until apply")
						continue
					}
				}
				window, wok := prop(mq.mapping, "maximumBatchingWindowInSeconds").int(0)
				visibility, vok := prop(mq.queue, "visibilityTimeoutSeconds").int(defaultVisibilityTimeout)
				if !wok || !vok {
					p.note(name, mq.queue, "its visibility timeout or the mapping's batching window is unknown until apply")
					continue
				}
				need := ratio*float64(timeout) + float64(window)
				if float64(visibility) < need {
					fnName := "its function"
					if fn != nil {
						fnName = fn.Name
					}
					hint := ""
					if strings.Contains(mq.queue.Parent, stack.PipelineType) {
						hint = " (orderpipe configuration: visibilityTimeout, lambdaTimeout)"
					}
					m.ReportViolation(fmt.Sprintf("%s visibilityTimeoutSeconds %ds < %g × %s's timeout %ds + %s's maximumBatchingWindowInSeconds %ds = %gs; raise the queue's visibilityTimeoutSeconds or lower the function's timeout%s",
						mq.queue.Name, visibility, ratio, fnName, timeout, mq.mapping.Name, window, need, hint), mq.queue.URN)
				}
			}
		})
}

func (p *Pack) maxReceiveCount() policyx.Policy {
	const name = "sqs-max-receive-count"
	return p.stackPolicy(name,
		"A Lambda-fed queue's maxReceiveCount is neither too low for throttling nor too high for poison messages.",
		policyx.EnforcementLevelAdvisory,
		func(g graph, m policyx.PolicyManager) {
			s := p.current()
			for _, mq := range g.sqsMappings(p, name) {
				rd, ok := g.redriveOf(mq.queue)
				switch {
				case !ok:
					p.note(name, mq.queue, "its redrive policy is unknown until apply")
					continue
				case !rd.exists || rd.parseErr != nil:
					continue // sqs-queue-has-dlq reports it
				case !rd.known:
					p.note(name, mq.queue, "its redrive policy is unknown until apply")
					continue
				}
				n := int(rd.doc.MaxReceiveCount)
				capped, ok := prop(mq.mapping, "scalingConfig", "maximumConcurrency").int(0)
				switch {
				case !ok:
					p.note(name, mq.mapping, "its maximum concurrency is unknown until apply")
				case n < s.MinReceiveCount && capped == 0:
					m.ReportViolation(fmt.Sprintf("%s maxReceiveCount %d < %d and its mapping %s does not cap concurrency; raise maxReceiveCount or set scalingConfig.maximumConcurrency",
						mq.queue.Name, n, s.MinReceiveCount, mq.mapping.Name), mq.queue.URN)
				case n > s.MaxReceiveCount:
					m.ReportViolation(fmt.Sprintf("%s maxReceiveCount %d > %d; lower it so that poison messages reach the DLQ sooner", mq.queue.Name, n, s.MaxReceiveCount), mq.queue.URN)
				}
			}
		})
}

func (p *Pack) dlqRetention() policyx.Policy {
	const name = "sqs-dlq-retention"
	return p.stackPolicy(name,
		"A dead-letter queue keeps messages longer than its source queue.",
		policyx.EnforcementLevelMandatory,
		func(g graph, m policyx.PolicyManager) {
			for _, pair := range g.deadLetterPairs(p, name) {
				q, dlq := pair.source, pair.dlq
				fifo, fok := prop(q, "fifoQueue").boolean()
				if qn, _ := prop(q, "name").str(); fok && fifo || strings.HasSuffix(qn, ".fifo") {
					continue // SQS resets a FIFO message's enqueue time when it moves
				}
				src, sok := prop(q, "messageRetentionSeconds").int(defaultRetention)
				dst, dok := prop(dlq, "messageRetentionSeconds").int(defaultRetention)
				if !sok || !dok {
					p.note(name, q, "a retention is unknown until apply")
					continue
				}
				if dst <= src && dst < maxRetention {
					fix := "raise the DLQ's messageRetentionSeconds"
					if src >= maxRetention {
						fix = "raise the DLQ's messageRetentionSeconds to the 14-day maximum (1209600)"
					}
					m.ReportViolation(fmt.Sprintf("%s messageRetentionSeconds %ds is not longer than its source %s's %ds; %s",
						dlq.Name, dst, q.Name, src, fix), dlq.URN)
				}
			}
		})
}

func (p *Pack) partialBatch() policyx.Policy {
	const name = "lambda-sqs-partial-batch"
	return p.stackPolicy(name,
		"SQS event source mappings report batch item failures.",
		policyx.EnforcementLevelMandatory,
		func(g graph, m policyx.PolicyManager) {
			// Every SQS mapping of the stack, on a queue of the stack or
			// not: the mapping is the stack's to get right.
			for _, mapping := range g.ofType(typeMapping) {
				source := ""
				if q, ok := g.target(mapping, "eventSourceArn", typeQueue, "arn"); ok && q != nil {
					source = q.Name
				} else if arn, ok := prop(mapping, "eventSourceArn").str(); ok && strings.Contains(arn, ":sqs:") {
					source = arn
				} else if !ok {
					p.note(name, mapping, "its event source is unknown until apply")
					continue
				}
				if source == "" {
					continue // not SQS
				}
				types, ok := prop(mapping, "functionResponseTypes").strings()
				if !ok {
					p.note(name, mapping, "functionResponseTypes is unknown until apply")
					continue
				}
				if !slices.Contains(types, "ReportBatchItemFailures") {
					m.ReportViolation(fmt.Sprintf("%s (from %s) has functionResponseTypes %v; add \"ReportBatchItemFailures\"", mapping.Name, source, types), mapping.URN)
				}
			}
		})
}

// autoname is the name Pulumi gives a resource that sets none: its logical
// name and a random suffix. Such names never collide.
var autoname = regexp.MustCompile(`-[0-9a-f]{7}(\.fifo)?$`)

// hashed ends a name that orderpipe's naming shortened (see spec.Namer).
var hashed = regexp.MustCompile(`-[0-9a-f]{8}$`)

func (p *Pack) stackScopedNames() policyx.Policy {
	const name = "stack-scoped-names"
	return p.stackPolicy(name,
		"Explicit names carry the stack's name, and account-wide names the region too.",
		policyx.EnforcementLevelMandatory,
		func(g graph, m policyx.PolicyManager) {
			exceptions := p.current().NameExceptions
			scope := p.Project + "-" + p.Stack
			// A word of its own, in any case: stack Prod names its queues
			// billing-prod-jobs.
			stackWord := regexp.MustCompile(`(?i)(^|[-_./:])` + regexp.QuoteMeta(p.Stack) + `($|[-_./:])`)
			functionNames := map[string]bool{}
			for _, fn := range g.ofType(typeFunction) {
				if n, ok := prop(fn, "name").str(); ok && n != "" {
					functionNames[n] = true
				}
			}
			for _, r := range g.resources {
				key := "name"
				switch r.Type {
				case typeDashboard:
					key = "dashboardName"
				case typeRolePolicy, typeTopicSubscribe, stack.PipelineType, typeAlias, "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy":
					continue // named within their parent, or not at all
				case typePolicyAttachment, "aws:iam/groupMembership:GroupMembership":
					continue // a label in the provider's state, no name in AWS
				}
				if prefix, ok := prop(r, "namePrefix").str(); ok && prefix != "" {
					continue // AWS's name is the prefix and a unique suffix: it never collides
				}
				if slices.Contains(exceptions, r.Name) || slices.Contains(exceptions, r.Type) || !strings.HasPrefix(r.Type, "aws:") {
					continue
				}
				v, ok := prop(r, key).str()
				switch {
				case !ok:
					p.note(name, r, "its name is unknown until apply")
					continue
				case v == "":
					continue
				case strings.HasPrefix(v, r.Name+"-") && autoname.MatchString(v):
					continue
				case r.Type == typeLogGroup && functionNames[strings.TrimPrefix(v, "/aws/lambda/")]:
					continue // a function's own log group: named by the function
				case !stackWord.MatchString(v) && !(hashed.MatchString(v) && strings.Contains(v, scope[:min(len(scope), 16)])):
					m.ReportViolation(fmt.Sprintf("%s is named %q, which does not carry the stack name %q as a word of its own; name it from the project and stack (e.g. %q)",
						r.Name, v, p.Stack, scope+"-"+r.Name), r.URN)
				case accountGlobal[r.Type] && !regionWord.MatchString(v):
					m.ReportViolation(fmt.Sprintf("%s is named %q; %s names are unique in the whole account, so it must carry the region too (e.g. %q), or the same stack in another region collides with it",
						r.Name, v, shortType(r.Type), scope+"-eu-west-1-"+r.Name), r.URN)
				}
			}
		})
}

// accountGlobal are the types whose names are unique in the account, not
// per region.
var accountGlobal = map[string]bool{
	typeRole: true, typeDashboard: true, "aws:iam/policy:Policy": true, "aws:iam/user:User": true,
	"aws:iam/group:Group": true, "aws:iam/instanceProfile:InstanceProfile": true,
}

// regionWord matches an AWS region, such as eu-west-1 or us-gov-west-1, as a
// word of a name.
var regionWord = regexp.MustCompile(`(^|[-_.])(us|eu|ap|ca|sa|me|af|il|mx|cn)(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]+($|[-_.])`)

// shortType is "iam role" for "aws:iam/role:Role".
func shortType(t string) string {
	mod, typ, _ := strings.Cut(strings.TrimPrefix(t, "aws:"), "/")
	typ, _, _ = strings.Cut(typ, ":")
	return mod + " " + typ
}

func (p *Pack) logRetention() policyx.Policy {
	const name = "lambda-log-retention"
	return p.stackPolicy(name,
		"Each function's log group is declared with a retention.",
		policyx.EnforcementLevelAdvisory,
		func(g graph, m policyx.PolicyManager) {
			groups := map[string]policyx.AnalyzerResource{}
			for _, lg := range g.ofType(typeLogGroup) {
				n, ok := prop(lg, "name").str()
				if !ok {
					p.note(name, lg, "its name is unknown until apply")
					continue
				}
				groups[n] = lg
			}
			for _, fn := range g.ofType(typeFunction) {
				group, ok := prop(fn, "loggingConfig", "logGroup").str()
				if ok && group == "" {
					fnName, nok := prop(fn, "name").str()
					ok, group = nok, "/aws/lambda/"+fnName
				}
				if !ok {
					p.note(name, fn, "its log group is unknown until apply")
					continue
				}
				lg, found := groups[group]
				if !found {
					m.ReportViolation(fmt.Sprintf("%s logs to %s, which the stack does not declare; declare it with retentionInDays", fn.Name, group), fn.URN)
					continue
				}
				if days, ok := prop(lg, "retentionInDays").int(0); ok && days == 0 {
					m.ReportViolation(fmt.Sprintf("%s keeps logs forever; set retentionInDays", lg.Name), lg.URN)
				}
			}
		})
}

func (p *Pack) dlqAlarm() policyx.Policy {
	const name = "dlq-alarm"
	return p.stackPolicy(name,
		"Every dead-letter queue has an alarm on its visible messages.",
		policyx.EnforcementLevelAdvisory,
		func(g graph, m policyx.PolicyManager) {
			for _, pair := range g.deadLetterPairs(p, name) {
				q, dlq := pair.source, pair.dlq
				dlqName, nok := prop(dlq, "name").str()
				alarmed, decided := false, nok
				for _, a := range g.ofType(typeMetricAlarm) {
					for _, mt := range alarmMetrics(a) {
						if mt.namespace != "AWS/SQS" || mt.name != "ApproximateNumberOfMessagesVisible" {
							continue
						}
						switch {
						case slices.Contains(a.PropertyDependencies[mt.depKey], dlq.URN):
							alarmed = true
						case !mt.queueKnown:
							decided = false
						case nok && mt.queue == dlqName:
							alarmed = true
						}
					}
				}
				switch {
				case alarmed:
				case !decided:
					p.note(name, dlq, "its name or an alarm's dimensions are unknown until apply")
				default:
					m.ReportViolation(fmt.Sprintf("%s is the dead-letter queue of %s but no alarm watches its ApproximateNumberOfMessagesVisible", dlq.Name, q.Name), dlq.URN)
				}
			}
		})
}

// alarmMetric is one metric an alarm watches.
type alarmMetric struct {
	namespace, name string
	queue           string // its QueueName dimension
	queueKnown      bool
	depKey          string // the alarm property whose dependencies lead to the queue
}

// alarmMetrics are the metrics an alarm watches: its own, or those of its
// metricQueries (metric math alarms).
func alarmMetrics(a policyx.AnalyzerResource) []alarmMetric {
	ns, _ := prop(a, "namespace").str()
	metric, _ := prop(a, "metricName").str()
	queue, ok := prop(a, "dimensions", "QueueName").str()
	out := []alarmMetric{{namespace: ns, name: metric, queue: queue, queueKnown: ok, depKey: "dimensions"}}
	queries := prop(a, "metricQueries")
	if queries.unknown() || !queries.v.IsArray() {
		return out
	}
	for _, q := range queries.v.AsArray().AsSlice() {
		if !q.IsMap() {
			continue
		}
		m := val{q.AsMap().Get("metric")}
		if !m.v.IsMap() {
			continue
		}
		get := func(k string) val { return val{m.v.AsMap().Get(k)} }
		mns, _ := get("namespace").str()
		mname, _ := get("metricName").str()
		var mq string
		known := false
		if dims := get("dimensions"); dims.v.IsMap() {
			mq, known = val{dims.v.AsMap().Get("QueueName")}.str()
		}
		out = append(out, alarmMetric{namespace: mns, name: mname, queue: mq, queueKnown: known, depKey: "metricQueries"})
	}
	return out
}
