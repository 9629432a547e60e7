package main

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/enginetest"
)

// The program previews through the real engine with orderpipe's policy pack
// and passes it, with ciiam/policy-config.json (which only lets
// iam-least-privilege allow "*"). The pack itself lets "*" stand for
// actions AWS authorizes on no resource (AWS's authorization data,
// policy/iamdata); without the configuration it finds only the statements
// on KMS keys, whose ARNs (random key ids) no policy can know beforehand and
// which TestDeployRoleIsNotAdministrator and
// TestJanitorDeletesOnlyOwnedEphemeral restrict by tag conditions.
func TestPreviewPassesThePolicyPack(t *testing.T) {
	h := enginetest.New(t)
	t.Cleanup(func() {
		if live := h.Provider.Live(); len(live) > 0 {
			t.Errorf("left live: %v", live)
		}
	})
	ctx := context.Background()
	preview := func(policyConfig string) *automation.PreviewResult {
		opts := automation.Options{
			Prefix: "ciiam", StateDir: t.TempDir(), Region: "eu-west-1", Program: program,
			Config:      map[string]string{"ciiam:repository": "acme/orderpipe", "ciiam:owner": "b1e2c3"},
			PolicyPacks: []string{h.Pack}, PolicyConfig: policyConfig,
			PulumiRoot: h.Root, PulumiHome: h.Home, ModuleDir: h.Module, EnvVars: h.EnvVars(),
			Progress: enginetest.LogWriter{T: t}, Account: h.Provider.Cloud(),
		}
		env, err := automation.New(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := env.Close(ctx); err != nil {
				t.Errorf("close: %v", err)
			}
		}()
		res, err := env.Preview(ctx)
		if res == nil {
			t.Fatalf("preview: %v", err)
		}
		return res
	}

	res := preview(filepath.Join(h.Module, "ciiam", "policy-config.json"))
	for _, p := range res.Policies {
		if p.Level == "mandatory" {
			t.Errorf("mandatory violation: %s %s: %s", p.Policy, p.URN, p.Message)
		}
	}
	if !res.Passed || res.Counts["create"] < 6 {
		t.Errorf("passed %v, counts %v; want the provider, the boundary, two roles and their policies created", res.Passed, res.Counts)
	}
	t.Logf("deferred: %q", res.Deferred)

	res = preview("")
	keys := regexp.MustCompile(`policy statement (CreateEphemeralKeys|EphemeralKeys|DeleteOnlyOwnedEphemeralKeys) allows the resource "\*" for kms:`)
	var found []string
	for _, p := range res.Policies {
		if p.Level != "mandatory" {
			continue
		}
		if p.Policy != "iam-least-privilege" || !keys.MatchString(p.Message) {
			t.Errorf("without the configuration: %s %s: %s", p.Policy, p.URN, p.Message)
		}
		found = append(found, p.Message)
	}
	if len(found) == 0 || res.Passed {
		t.Errorf("without the configuration the pack found nothing: %+v", res.Policies)
	}
	slices.Sort(found)
	t.Logf("without the configuration: %q", found)
}
