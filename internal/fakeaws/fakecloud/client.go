package fakecloud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/orderpipe/orderpipe/internal/account"
)

// Client is the stand-in's account seen from another process: what
// account.AWS is to AWS.
type Client struct {
	URL  string       // the server's URL
	HTTP *http.Client // nil: http.DefaultClient
}

// Tagged returns one page of the live resources carrying every tag of
// filter, and the next page's token ("" after the last).
func (c *Client) Tagged(ctx context.Context, filter map[string]string, token string) ([]account.Resource, string, error) {
	var resp taggedResponse
	err := c.call(ctx, "tagged", taggedRequest{filter, token}, &resp)
	return resp.Resources, resp.Next, err
}

// Find looks a live resource up by its pulumi-aws type and physical name.
func (c *Client) Find(ctx context.Context, typ, name string) (account.Resource, bool, error) {
	var resp findResponse
	err := c.call(ctx, "find", findRequest{typ, name}, &resp)
	return resp.Resource, resp.Found, err
}

// Delete deletes the resource and waits until it is gone; one already gone
// is no error.
func (c *Client) Delete(ctx context.Context, r account.Resource) error {
	return c.call(ctx, "delete", deleteRequest{r}, &struct{}{})
}

func (c *Client) call(ctx context.Context, op string, req, resp any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("fakecloud %s: %w", op, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/"+op, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("fakecloud %s: %w", op, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	r, err := client.Do(hr)
	if err != nil {
		return fmt.Errorf("fakecloud %s: %w", op, err)
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		var e errorResponse
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			return fmt.Errorf("fakecloud %s: %s", op, r.Status)
		}
		return &remoteError{e}
	}
	if err := json.NewDecoder(r.Body).Decode(resp); err != nil {
		return fmt.Errorf("fakecloud %s: %w", op, err)
	}
	return nil
}

// remoteError is the account's error, as the server said it; one that was
// account.ErrNoName still is.
type remoteError struct{ errorResponse }

func (e *remoteError) Error() string { return e.errorResponse.Error }

func (e *remoteError) Unwrap() error {
	if e.NoName {
		return account.ErrNoName
	}
	return nil
}
