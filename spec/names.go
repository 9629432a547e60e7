package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Service is an AWS service whose physical names the pipeline sets.
type Service int

// The services, each with AWS's documented naming rules.
const (
	Lambda Service = iota
	SQS
	SNS
	DynamoDB
	CloudWatch // alarms and dashboards
	IAMRole
)

type rules struct {
	maxLen   int
	extra    string // allowed besides ASCII letters and digits
	foldCase bool   // names are unique regardless of case
}

func (s Service) rules() rules {
	switch s {
	case Lambda:
		return rules{maxLen: 64, extra: "-_"}
	case SQS:
		return rules{maxLen: 80, extra: "-_"}
	case SNS:
		return rules{maxLen: 256, extra: "-_"}
	case DynamoDB:
		return rules{maxLen: 255, extra: "-_."}
	case CloudWatch:
		return rules{maxLen: 255, extra: "-_"}
	case IAMRole:
		// "Dev" and "dev" would collide in IAM, so a name whose project or
		// stack holds an upper-case letter always carries the hash.
		return rules{maxLen: 64, extra: "-_+=,.@", foldCase: true}
	}
	panic("stack: unknown service")
}

// MaxLen is the longest name the service accepts.
func (s Service) MaxLen() int { return s.rules().maxLen }

func (r rules) allows(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(r.extra, c)
}

// hashLen is the number of hex digits of the suffix that keeps a shortened or
// sanitised name unique.
const hashLen = 8

// The tags every taggable resource of a stack carries: the program sets
// them, the janitor of ephemeral environments finds resources by them.
const (
	TagProject   = "project"
	TagStack     = "stack"
	TagManagedBy = "managed-by"
)

// Namer derives the physical names of one stack's resources.
//
// A name is "<project>-<stack>-<logical>" whenever that string is valid for
// the service as it stands. Otherwise (a character the service rejects, a
// name over its length limit, or upper case in a case-insensitive service) it
// is sanitised, shortened and ends in "-" and eight hex digits of a SHA-256
// over the unmodified project, stack and logical name. Logical names never end
// in eight lower-case hex digits, so a plain name can never equal a hashed
// one, and two different stacks never share a name.
type Namer struct {
	Project string
	Stack   string
}

// Name returns the physical name of the logical resource for the service.
func (n Namer) Name(svc Service, logical string) string {
	r := svc.rules()
	plain := n.Project + "-" + n.Stack + "-" + logical
	if n.valid(r, plain) {
		return plain
	}
	sum := sha256.Sum256([]byte(n.Project + "\x00" + n.Stack + "\x00" + logical))
	suffix := "-" + hex.EncodeToString(sum[:])[:hashLen]

	// Shorten the project and stack, not the logical name, so that a
	// shortened name still says which resource it is.
	head, tail := r.sanitize(n.Project+"-"+n.Stack), "-"+r.sanitize(logical)
	room := r.maxLen - len(tail) - len(suffix)
	if room < 1 {
		head, tail, room = head+tail, "", r.maxLen-len(suffix)
	}
	if len(head) > room {
		head = head[:room]
	}
	return strings.TrimRight(head, "-_.") + tail + suffix
}

// Global returns the physical name of a resource whose names are unique in
// the whole account, not per region (IAM roles, CloudWatch dashboards). It
// carries the region too, "<project>-<stack>-<region>-<logical>", so that
// one stack deployed to two regions does not collide with itself.
func (n Namer) Global(svc Service, region, logical string) string {
	return n.Name(svc, region+"-"+logical)
}

// sanitize replaces every character the service rejects with "-". The result
// is ASCII, so it can be cut at any byte.
func (r rules) sanitize(s string) string {
	var b strings.Builder
	for _, c := range s {
		if r.allows(c) {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func (n Namer) valid(r rules, name string) bool {
	if len(name) > r.maxLen {
		return false
	}
	for _, c := range name {
		if !r.allows(c) {
			return false
		}
	}
	if r.foldCase && strings.ToLower(n.Project+n.Stack) != n.Project+n.Stack {
		return false
	}
	return true
}

// Logical names of the pipeline's resources. Physical names are derived from
// them by Namer.
const (
	TableName      = "Orders"
	TopicName      = "OrderTopic"
	QueueName      = "OrderQueue"
	DLQName        = "OrderQueueDLQ"
	FunctionName   = "ProcessOrderLambda"
	RoleName       = "ProcessOrderLambdaRole"
	AlarmTopicName = "AlarmTopic"
	DashboardName  = "Overview"
	// Alarms.
	DLQAlarmName      = "DLQNotEmpty"
	ErrorsAlarmName   = "FunctionErrors"
	QueueAgeAlarmName = "OldestMessageAge"
)

// Names of the stack outputs (see stack.Pipeline.Outputs).
const (
	OutputTopicArn      = "topicArn"
	OutputQueueURL      = "queueUrl"
	OutputDLQURL        = "dlqUrl"
	OutputTableName     = "tableName"
	OutputFunctionName  = "functionName"
	OutputAlarmTopicArn = "alarmTopicArn"
	OutputDashboardName = "dashboardName"
)

// What SNS could not deliver to OrderQueue: the subscription's dead-letter
// queue, its alarms (its depth; the topic's failed deliveries; those SNS
// could not even put in the queue, which are lost), its stack output, and
// how long it keeps a message (SQS's maximum, 14 days, for the operator to
// redrive it).
const (
	SubscriptionDLQName      = "OrderQueueSubscriptionDLQ"
	SubscriptionDLQAlarmName = "SubscriptionDLQNotEmpty"
	DeliveryFailedAlarmName  = "NotificationsFailed"
	RedriveFailedAlarmName   = "NotificationsFailedToRedriveToDlq"
	OutputSubscriptionDLQURL = "subscriptionDlqUrl"
	SubscriptionDLQRetention = 14 * 24 * 60 * 60 // seconds
)
