package rules

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orderpipe/orderpipe/spec"
	"github.com/orderpipe/orderpipe/stack"
	"github.com/orderpipe/orderpipe/stack/stacktest"
)

// programResources runs the real orderpipe program under the SDK's mocks and
// converts what it registered into the pack's input, as after an update.
func programResources(t *testing.T, config map[string]string) []policyx.AnalyzerResource {
	t.Helper()
	mocks := &stacktest.Mocks{Project: "orderpipe", Stack: "dev"}
	namespaced := map[string]string{}
	for k, v := range config {
		namespaced[spec.Namespace+":"+k] = v
	}
	err := pulumi.RunErr(stack.Program(stack.Options{Builder: &stacktest.Builder{Dir: t.TempDir()}}),
		pulumi.WithMocks("orderpipe", "dev", mocks), stacktest.WithConfig(namespaced))
	if err != nil {
		t.Fatal(err)
	}
	var out []policyx.AnalyzerResource
	for _, r := range mocks.Resources() {
		out = append(out, policyx.AnalyzerResource{
			Type: r.Type, Name: r.Name, URN: r.URN, Parent: r.Parent, Dependencies: r.Dependencies,
			PropertyDependencies: r.PropertyDependencies,
			Properties:           resource.FromResourcePropertyMap(r.Outputs),
		})
	}
	return out
}

func TestOrderpipeProgram(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]string
		edit   func([]policyx.AnalyzerResource) // a test-only hook on the program's resources
		want   []string
	}{
		{"default configuration", nil, nil, nil},
		{"visibility timeout override too low", map[string]string{"visibilityTimeout": "60"}, nil, []string{
			"sqs-visibility-timeout-ratio [OrderQueue] OrderQueue visibilityTimeoutSeconds 60s < 6 × ProcessOrderLambda's timeout 30s + OrderQueueMapping's maximumBatchingWindowInSeconds 0s = 180s; raise the queue's visibilityTimeoutSeconds or lower the function's timeout (orderpipe configuration: visibilityTimeout, lambdaTimeout)",
		}},
		{"without a DLQ", nil, func(rs []policyx.AnalyzerResource) {
			for i, r := range rs {
				if r.Type == typeQueue && r.Name == spec.QueueName {
					rs[i].Properties = r.Properties.Delete("redrivePolicy")
				}
			}
		}, []string{
			"sqs-queue-has-dlq [OrderQueue] OrderQueue feeds the event source mapping OrderQueueMapping but has no redrive policy; set redrivePolicy with a deadLetterTargetArn, or add an aws:sqs/redrivePolicy:RedrivePolicy for it",
			// No longer a dead-letter queue, the DLQ is a queue without one.
			"sqs-redrive-everywhere [OrderQueueDLQ] OrderQueueDLQ has no redrive policy and is no dead-letter queue (of a queue, SNS subscription, function or event source mapping); set redrivePolicy with a deadLetterTargetArn",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := programResources(t, tt.config)
			if tt.edit != nil {
				tt.edit(rs)
			}
			got := analyze(t, rs, nil)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
