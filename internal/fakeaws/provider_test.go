package fakeaws

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Creates behave as AWS's do with a name a live resource has: refused for a
// table, a role, a function; taken over for a queue or a topic. The Tagging
// API stand-in lists tagged resources page by page, never an IAM role.
func TestCreatesAndTheTaggingAPI(t *testing.T) {
	p := &Provider{}
	ctx := context.Background()
	create := func(stack, typ, logical, name string) error {
		in := resource.NewPropertyMapFromMap(map[string]any{"name": name, "tags": map[string]any{"stack": stack}})
		props, err := marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		urn := resource.NewURN(tokens.QName(stack), "orderpipe", "", tokens.Type(typ), logical)
		_, err = p.Create(ctx, &pulumirpc.CreateRequest{Urn: string(urn), Properties: props})
		return err
	}
	for _, c := range []struct {
		typ, refusal string
	}{
		{"aws:dynamodb/table:Table", "ResourceInUseException"},
		{"aws:iam/role:Role", "EntityAlreadyExists"},
		{"aws:lambda/function:Function", "ResourceConflictException"},
		{"aws:sqs/queue:Queue", ""},
		{"aws:sns/topic:Topic", ""},
	} {
		if err := create("a", c.typ, "X", "shared-name"); err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		err := create("b", c.typ, "X", "shared-name")
		switch {
		case c.refusal == "" && err != nil:
			t.Errorf("%s: a second create of the name: %v, want it taken over", c.typ, err)
		case c.refusal != "" && (err == nil || !strings.Contains(err.Error(), c.refusal)):
			t.Errorf("%s: a second create of the name: %v, want %s", c.typ, err, c.refusal)
		}
	}
	if live := len(p.Live()); live != 5 {
		t.Errorf("%d live, want 5 (one of each type): %v", live, p.Live())
	}

	cloud := p.Cloud()
	var arns []string
	for token := ""; ; {
		page, next, err := cloud.Tagged(ctx, map[string]string{"stack": "a"}, token)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > cloud.PageSize {
			t.Errorf("a page of %d", len(page))
		}
		for _, r := range page {
			arns = append(arns, r.ARN)
		}
		if next == "" {
			break
		}
		token = next
	}
	// Table and function of stack a; the queue and topic are b's now; the
	// role is not listed.
	if len(arns) != 2 || cloud.Pages() != 1 || !strings.Contains(arns[0], ":table/") || !strings.Contains(arns[1], ":function:") {
		t.Errorf("listed %v in %d pages", arns, cloud.Pages())
	}
	if r, found, err := cloud.Find(ctx, "aws:iam/role:Role", "shared-name"); err != nil || !found {
		t.Fatalf("the role is not found by name: %v", err)
	} else if err := cloud.Delete(ctx, r); err != nil || len(p.Live()) != 4 {
		t.Errorf("delete of %s: %v; %d live", r.ARN, err, len(p.Live()))
	}
}
