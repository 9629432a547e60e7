// Package rules is orderpipe's policy pack: the guard-rails that catch the
// mistakes that break queue-driven Lambdas in production, above all a queue
// without a dead-letter queue and a visibility timeout too short for its
// function.
//
// A rule never reads an unknown value (one that only apply will know): it
// decides on what is known, or skips the check and says so through the
// advisory policy preview-unknowns.
package rules

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orderpipe/orderpipe/policy/iamdata"
)

// PackName and PackVersion identify the pack to the engine.
const (
	PackName    = "orderpipe"
	PackVersion = "0.1.0"
)

// Settings are the thresholds of the stack policies. policyx (SDK v3.274)
// gives a stack policy no configuration, so these are the configuration of
// the resource policy pack-settings, which records them for the stack
// policies that run after it.
type Settings struct {
	VisibilityRatio float64  // sqs-visibility-timeout-ratio
	MinReceiveCount int      // sqs-max-receive-count
	MaxReceiveCount int      // sqs-max-receive-count
	NameExceptions  []string // stack-scoped-names: logical names or types exempt
}

// DefaultSettings are AWS's guidance for Lambda and SQS.
func DefaultSettings() Settings {
	return Settings{VisibilityRatio: 6, MinReceiveCount: 5, MaxReceiveCount: 100}
}

// Pack holds the state one run of the pack shares between its policies.
type Pack struct {
	Project, Stack string

	// iam is AWS's authorization data the IAM rules reason from, loaded on
	// first use: a stack without IAM does not pay for it.
	iam func() (*iamdata.Data, error)

	mu       sync.Mutex
	settings Settings
	notes    []string
}

// NewPack is the policy pack for the stack of ctx, for policyx.Main.
func NewPack(ctx *pulumi.Context) (policyx.PolicyPack, error) {
	p := NewPackWith(ctx.Project(), ctx.Stack(), sync.OnceValues(iamdata.Load))
	return policyx.NewPolicyPack(PackName, semver.MustParse(PackVersion), policyx.EnforcementLevelMandatory, p.Policies())
}

// NewPackWith is the pack for a stack, with the IAM data it reasons from.
func NewPackWith(project, stack string, iam func() (*iamdata.Data, error)) *Pack {
	return &Pack{Project: project, Stack: stack, iam: iam, settings: DefaultSettings()}
}

// Policies are the pack's policies, each with its enforcement level set:
// policyx defaults to advisory and ignores the pack's level.
func (p *Pack) Policies() []policyx.Policy {
	return []policyx.Policy{
		p.settingsPolicy(),
		p.queueHasDLQ(),
		p.visibilityTimeoutRatio(),
		p.maxReceiveCount(),
		p.dlqRetention(),
		p.partialBatch(),
		p.encryptionAtRest(),
		p.pointInTimeRecovery(),
		p.leastPrivilege(),
		p.queuePolicyScoped(),
		p.noPublicPolicy(),
		p.secureTransport(),
		p.redriveEverywhere(),
		p.keyRotation(),
		p.tracing(),
		p.stackScopedNames(),
		p.logRetention(),
		p.dlqAlarm(),
		p.snsToManagedSQSKey(), p.serviceToManagedSNSKey(), p.subscriptionRedrive(), p.streamOnFailure(),
		// Last: it reports what the others could not decide.
		p.previewUnknowns(),
	}
}

// iamData is the pack's IAM data; a Pack made without NewPackWith loads the
// embedded data once.
func (p *Pack) iamData() (*iamdata.Data, error) {
	p.mu.Lock()
	if p.iam == nil {
		p.iam = sync.OnceValues(iamdata.Load)
	}
	load := p.iam
	p.mu.Unlock()
	return load()
}

func (p *Pack) current() Settings {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.settings
}

// note records a check skipped because a value is unknown until apply.
func (p *Pack) note(policy string, r policyx.AnalyzerResource, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notes = append(p.notes, fmt.Sprintf("%s: %s not checked: %s", policy, r.Name, fmt.Sprintf(format, args...)))
}

func (p *Pack) takeNotes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	notes := p.notes
	p.notes = nil
	sort.Strings(notes)
	return notes
}

func (p *Pack) settingsPolicy() policyx.Policy {
	return policyx.NewResourceValidationPolicy("pack-settings", policyx.ResourceValidationPolicyArgs{
		Description: "Holds the thresholds of the pack's stack policies (policyx gives stack policies no configuration of their own). Reports nothing.",
		// Advisory, and it never reports: it only records its configuration.
		EnforcementLevel: policyx.EnforcementLevelAdvisory,
		ConfigSchema: &policyx.ConfigSchema{Properties: map[string]map[string]any{
			"visibilityRatio": {"type": "number", "minimum": 1, "default": 6,
				"description": "sqs-visibility-timeout-ratio: the queue's visibility timeout must be at least this many function timeouts plus the batching window"},
			"minReceiveCount": {"type": "integer", "minimum": 1, "default": 5,
				"description": "sqs-max-receive-count: warn below this maxReceiveCount unless the mapping caps concurrency"},
			"maxReceiveCount": {"type": "integer", "minimum": 1, "default": 100,
				"description": "sqs-max-receive-count: warn above this maxReceiveCount"},
			"nameExceptions": {"type": "array", "items": map[string]any{"type": "string"}, "default": []any{},
				"description": "stack-scoped-names: logical names or resource types exempt from the rule"},
		}},
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			s := DefaultSettings()
			if v, ok := args.Config["visibilityRatio"].(float64); ok {
				s.VisibilityRatio = v
			}
			if v, ok := args.Config["minReceiveCount"].(float64); ok {
				s.MinReceiveCount = int(v)
			}
			if v, ok := args.Config["maxReceiveCount"].(float64); ok {
				s.MaxReceiveCount = int(v)
			}
			if v, ok := args.Config["nameExceptions"].([]any); ok {
				s.NameExceptions = toStrings(v)
			}
			p.mu.Lock()
			p.settings = s
			p.mu.Unlock()
			return nil
		},
	})
}

func toStrings(v []any) []string {
	var out []string
	for _, e := range v {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (p *Pack) previewUnknowns() policyx.Policy {
	return policyx.NewStackValidationPolicy("preview-unknowns", policyx.StackValidationPolicyArgs{
		Description:      "Lists the checks the other policies could not make because a value is only known after apply. They are made on the next preview or update that knows it.",
		EnforcementLevel: policyx.EnforcementLevelAdvisory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			if notes := p.takeNotes(); len(notes) > 0 {
				args.Manager.ReportViolation(strings.Join(notes, "\n"), "")
			}
			return nil
		},
	})
}
