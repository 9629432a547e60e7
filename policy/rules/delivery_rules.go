package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// The delivery policies catch what makes AWS drop a message between two
// services with no error anywhere but a metric: an AWS managed key on the
// receiving side of an AWS service's delivery, and a delivery with nowhere
// to put what fails.

const (
	typeCompositeAlarm     = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
	typeEventTarget        = "aws:cloudwatch/eventTarget:EventTarget"
	typeBucketNotification = "aws:s3/bucketNotification:BucketNotification"
	typeKinesisStream      = "aws:kinesis/stream:Stream"
)

// awsManagedKey reports whether a kmsMasterKeyId names the AWS managed key
// of service ("sqs", "sns"): its alias or the alias's ARN. (The key's own
// ARN reads like any other key's: only the account could tell.)
func awsManagedKey(ref, service string) bool {
	alias := "alias/aws/" + service
	if ref == alias {
		return true
	}
	parts := strings.SplitN(ref, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "kms" && parts[5] == alias
}

// snsToManagedSQSKey: SNS cannot deliver to a queue, nor redrive to a
// subscription's dead-letter queue, encrypted with the AWS managed key of
// SQS, whose key policy cannot grant sns.amazonaws.com anything. Mandatory:
// every delivery fails.
func (p *Pack) snsToManagedSQSKey() policyx.Policy {
	const name = "sns-sqs-aws-managed-key"
	return p.stackPolicy(name,
		"An SNS subscription does not deliver (nor redrive) to an SQS queue encrypted with the AWS managed key alias/aws/sqs, which SNS cannot use.",
		policyx.EnforcementLevelMandatory,
		func(g graph, m policyx.PolicyManager) {
			for _, sub := range g.ofType(typeTopicSubscribe) {
				protocol, ok := prop(sub, "protocol").str()
				if !ok {
					p.note(name, sub, "its protocol is unknown until apply")
					continue
				}
				if protocol != "sqs" {
					continue
				}
				endpoint, ok := g.target(sub, "endpoint", typeQueue, "arn")
				if !ok {
					p.note(name, sub, "the queue it delivers to is unknown until apply")
				}
				dlq, dok := g.subscriptionDLQ(sub)
				if !dok {
					p.note(name, sub, "its dead-letter queue is unknown until apply")
				}
				for _, q := range []struct {
					queue *policyx.AnalyzerResource
					role  string
					fix   string
				}{
					{endpoint, "delivers to", "encrypt the queue with SSE-SQS (sqsManagedSseEnabled: true) or a customer managed key whose policy lets sns.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt"},
					{dlq, "redrives failed deliveries to", "encrypt the dead-letter queue with a customer managed key whose policy lets sns.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt"},
				} {
					if q.queue == nil {
						continue
					}
					key, ok := prop(*q.queue, "kmsMasterKeyId").str()
					switch {
					case !ok:
						p.note(name, *q.queue, "its key is unknown until apply")
					case awsManagedKey(key, "sqs"):
						m.ReportViolation(fmt.Sprintf("%s %s %s, which is encrypted with the AWS managed key %s that SNS cannot use, so SNS drops those messages; %s",
							sub.Name, q.role, q.queue.Name, key, q.fix), sub.URN)
					}
				}
			}
		})
}

// subscriptionDLQ is the queue of the stack a subscription's redrive policy
// names; nil when it has none, or one outside the stack.
func (g graph) subscriptionDLQ(sub policyx.AnalyzerResource) (*policyx.AnalyzerResource, bool) {
	rd, _ := readRedrive(sub, "redrivePolicy")
	switch {
	case !rd.exists || rd.parseErr != nil:
		return nil, true
	case rd.known && rd.doc.DeadLetterTargetArn == "":
		return nil, true
	}
	return g.dlqOf(rd)
}

// publisher is a kind of resource through which an AWS service publishes
// to a topic, and the properties that name the topic.
type publisher struct {
	typ, service, what string
	keys               []string
}

var servicePublishers = []publisher{
	{typeMetricAlarm, "cloudwatch.amazonaws.com", "CloudWatch alarm", []string{"alarmActions", "okActions", "insufficientDataActions"}},
	{typeCompositeAlarm, "cloudwatch.amazonaws.com", "CloudWatch composite alarm", []string{"alarmActions", "okActions", "insufficientDataActions"}},
	{typeEventTarget, "events.amazonaws.com", "EventBridge target", []string{"arn"}},
	{typeBucketNotification, "s3.amazonaws.com", "S3 event notification", []string{"topics"}},
}

// serviceToManagedSNSKey: an AWS service that publishes to a topic
// encrypted with the AWS managed key of SNS is refused by KMS, since that
// key's policy admits no service principal; the notification never
// arrives. Mandatory: it cannot work.
func (p *Pack) serviceToManagedSNSKey() policyx.Policy {
	const name = "sns-aws-managed-key-service-publisher"
	return p.stackPolicy(name,
		"No AWS service (CloudWatch alarms, EventBridge, S3 notifications) publishes to a topic encrypted with the AWS managed key alias/aws/sns, which those services cannot use.",
		policyx.EnforcementLevelMandatory,
		func(g graph, m policyx.PolicyManager) {
			for _, topic := range g.ofType(typeTopic) {
				arn, arnKnown := prop(topic, "arn").str()
				var publishers, undecided []string
				for _, pub := range servicePublishers {
					for _, r := range g.ofType(pub.typ) {
						var via []string
						for _, k := range pub.keys {
							refers, decided := refersTo(r, k, topic.URN, arn, arnKnown)
							if refers {
								via = append(via, k)
							} else if !decided {
								undecided = append(undecided, fmt.Sprintf("whether %s's %s name it", r.Name, k))
							}
						}
						if len(via) > 0 {
							publishers = append(publishers, fmt.Sprintf("the %s %s publishes to it (%s), which that key's policy does not admit, so its notifications never arrive; encrypt the topic with a customer managed key whose policy lets %s use kms:GenerateDataKey* and kms:Decrypt",
								pub.what, r.Name, strings.Join(via, ", "), pub.service))
						}
					}
				}
				if len(publishers) == 0 && len(undecided) == 0 {
					continue // no AWS service publishes to it: any key works
				}
				key, ok := prop(topic, "kmsMasterKeyId").str()
				switch {
				case !ok:
					p.note(name, topic, "its key is unknown until apply")
				case !awsManagedKey(key, "sns"):
				default:
					for _, pub := range publishers {
						m.ReportViolation(fmt.Sprintf("%s is encrypted with the AWS managed key %s, and %s", topic.Name, key, pub), topic.URN)
					}
					if len(undecided) > 0 {
						p.note(name, topic, "%s is unknown until apply", strings.Join(undecided, ", "))
					}
				}
			}
		})
}

// refersTo reports whether r's property key names the resource urn, whose
// ARN is arn: through the engine's dependencies, or as a literal anywhere
// in the property's value. decided is false while it cannot be told.
func refersTo(r policyx.AnalyzerResource, key, urn, arn string, arnKnown bool) (refers, decided bool) {
	if slices.Contains(r.PropertyDependencies[key], urn) {
		return true, true
	}
	v := prop(r, key).v
	if containsComputed(v) {
		return false, false
	}
	if !arnKnown {
		return false, !anyString(v, func(s string) bool { return s != "" })
	}
	return arn != "" && anyString(v, func(s string) bool { return s == arn }), true
}

// anyString reports whether a string anywhere in v matches.
func anyString(v property.Value, match func(string) bool) bool {
	switch {
	case v.IsString():
		return match(v.AsString())
	case v.IsArray():
		return slices.ContainsFunc(v.AsArray().AsSlice(), func(e property.Value) bool { return anyString(e, match) })
	case v.IsMap():
		for _, e := range v.AsMap().All {
			if anyString(e, match) {
				return true
			}
		}
	}
	return false
}

// subscriptionRedrive: SNS drops a delivery to SQS or Lambda that fails
// with a client-side error (the queue's policy or key refuses it, the
// function is gone) or fails every retry, unless the subscription has a
// dead-letter queue. Advisory: a team may accept the loss of a
// notification, and the topic's NumberOfNotificationsFailed still counts it.
func (p *Pack) subscriptionRedrive() policyx.Policy {
	const name = "sns-subscription-redrive"
	return p.resourcePolicy(name,
		"SNS subscriptions to SQS or Lambda have a redrivePolicy with a dead-letter queue.",
		policyx.EnforcementLevelAdvisory, nil,
		func(r policyx.AnalyzerResource, _ map[string]any, m policyx.PolicyManager) {
			if r.Type != typeTopicSubscribe {
				return
			}
			protocol, ok := prop(r, "protocol").str()
			if !ok {
				p.note(name, r, "its protocol is unknown until apply")
				return
			}
			if protocol != "sqs" && protocol != "lambda" {
				return
			}
			rd, _ := readRedrive(r, "redrivePolicy")
			const fix = "set redrivePolicy to {\"deadLetterTargetArn\": \"<ARN of an SQS queue whose policy lets the topic send>\"}"
			switch {
			case !rd.exists:
				m.ReportViolation(fmt.Sprintf("%s (%s) has no redrivePolicy, so SNS drops what it cannot deliver; %s", r.Name, protocol, fix), "")
			case rd.parseErr != nil:
				m.ReportViolation(fmt.Sprintf("%s redrivePolicy cannot be read (%v), so SNS drops what it cannot deliver; %s", r.Name, rd.parseErr, fix), "")
			case rd.known && rd.doc.DeadLetterTargetArn == "":
				m.ReportViolation(fmt.Sprintf("%s redrivePolicy names no deadLetterTargetArn, so SNS drops what it cannot deliver; %s", r.Name, fix), "")
			}
		})
}

// streamOnFailure: a stream event source mapping (Kinesis, DynamoDB
// Streams) retries a failing batch until its records expire by default,
// holding up its shard meanwhile; without an on-failure destination the
// records then go with no trace. Advisory: a team may replay from the
// stream's own retention.
func (p *Pack) streamOnFailure() policyx.Policy {
	const name = "lambda-stream-on-failure"
	return p.stackPolicy(name,
		"A stream event source mapping (Kinesis, DynamoDB Streams) with unlimited retries has an onFailure destination.",
		policyx.EnforcementLevelAdvisory,
		func(g graph, m policyx.PolicyManager) {
			for _, mp := range g.ofType(typeMapping) {
				stream, ok := g.streamSource(mp)
				if !ok {
					p.note(name, mp, "its event source is unknown until apply")
					continue
				}
				if !stream {
					continue
				}
				retries, rok := prop(mp, "maximumRetryAttempts").int(-1)
				dest := prop(mp, "destinationConfig", "onFailure", "destinationArn")
				arn, dok := dest.str()
				if !rok || !dok {
					p.note(name, mp, "its retries or on-failure destination are unknown until apply")
					continue
				}
				if retries == -1 && arn == "" {
					m.ReportViolation(fmt.Sprintf("%s retries a failing batch until its records expire (maximumRetryAttempts unset or -1) and has no onFailure destination, so a poison record holds up its shard and then goes with no trace; set maximumRetryAttempts, bisectBatchOnFunctionError and destinationConfig.onFailure.destinationArn (an SQS queue or SNS topic)",
						mp.Name), mp.URN)
				}
			}
		})
}

// streamSource reports whether a mapping reads a Kinesis or DynamoDB
// stream: a stream or table of the stack it depends on, or a stream ARN.
func (g graph) streamSource(mp policyx.AnalyzerResource) (stream, decided bool) {
	for _, r := range g.resources {
		if slices.Contains(mp.PropertyDependencies["eventSourceArn"], r.URN) {
			// A stream, a table's stream, or (a queue) no stream at all.
			return r.Type == typeKinesisStream || r.Type == typeTable, true
		}
	}
	arn, ok := prop(mp, "eventSourceArn").str()
	if !ok {
		return false, false
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return false, true
	}
	switch parts[2] {
	case "kinesis":
		return strings.HasPrefix(parts[5], "stream/"), true
	case "dynamodb":
		return strings.Contains(parts[5], "/stream/"), true
	}
	return false, true
}
