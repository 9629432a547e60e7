// Package fakecloud serves the stand-in cloud of fakeaws to other processes,
// so that it outlives them as a cloud outlives the jobs that deploy to it:
// the provider over gRPC (for the engine, through PULUMI_DEBUG_PROVIDERS),
// and the account operations recovery and the janitor use (the Tagging API's
// listing, lookups by name, deletes) over a small HTTP/JSON API, which
// Client speaks. Both listen on 127.0.0.1 only. It is a test double and
// touches no AWS.
package fakecloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/orderpipe/orderpipe/internal/account"
	"github.com/orderpipe/orderpipe/internal/fakeaws"
)

// URLEnv is the environment variable that gives a process built for it (the
// orderpipe-env test binary) the URL of the account API.
const URLEnv = "ORDERPIPE_FAKECLOUD_URL"

// Account is what the server serves of the stand-in's account.
type Account interface {
	Tagged(ctx context.Context, filter map[string]string, token string) ([]account.Resource, string, error)
	Find(ctx context.Context, typ, name string) (account.Resource, bool, error)
	Delete(ctx context.Context, r account.Resource) error
}

// Server serves a provider and its account.
type Server struct {
	grpc    *grpc.Server
	http    *http.Server
	grpcL   net.Listener
	httpL   net.Listener
	cancels atomic.Int64
}

// provider is the stand-in provider, counting the engine's cancellations:
// an engine whose operation is interrupted (Ctrl-C, SIGINT, SIGTERM) tells
// every provider to cancel, and only then.
type provider struct {
	*fakeaws.Provider
	cancels *atomic.Int64
}

func (p provider) Cancel(ctx context.Context, e *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancels.Add(1)
	return p.Provider.Cancel(ctx, e)
}

// Start serves p and acct on free ports of 127.0.0.1.
func Start(p *fakeaws.Provider, acct Account) (*Server, error) {
	grpcL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakecloud: %w", err)
	}
	httpL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		grpcL.Close()
		return nil, fmt.Errorf("fakecloud: %w", err)
	}
	s := &Server{grpc: grpc.NewServer(), grpcL: grpcL, httpL: httpL}
	pulumirpc.RegisterResourceProviderServer(s.grpc, provider{p, &s.cancels})
	s.http = &http.Server{Handler: handler(acct)}
	go s.grpc.Serve(grpcL)
	go s.http.Serve(httpL)
	return s, nil
}

// DebugProviders is the value of PULUMI_DEBUG_PROVIDERS that makes the
// engine use the served provider for the aws package.
func (s *Server) DebugProviders() string {
	_, port, _ := net.SplitHostPort(s.grpcL.Addr().String())
	return "aws:" + port
}

// URL is the account API's base URL, for Client.
func (s *Server) URL() string { return "http://" + s.httpL.Addr().String() }

// Cancels counts the engines' cancellations the provider was told of.
func (s *Server) Cancels() int64 { return s.cancels.Load() }

// Stop stops serving at once.
func (s *Server) Stop() {
	s.grpc.Stop()
	s.http.Close()
}

// The account API: POST a JSON request to /tagged, /find or /delete; a
// failure answers 500 with an errorResponse.
type (
	taggedRequest struct {
		Filter map[string]string `json:"filter"`
		Token  string            `json:"token"`
	}
	taggedResponse struct {
		Resources []account.Resource `json:"resources"`
		Next      string             `json:"next"`
	}
	findRequest struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	findResponse struct {
		Resource account.Resource `json:"resource"`
		Found    bool             `json:"found"`
	}
	deleteRequest struct {
		Resource account.Resource `json:"resource"`
	}
	errorResponse struct {
		Error  string `json:"error"`
		NoName bool   `json:"noName"` // the error is account.ErrNoName's
	}
)

func handler(acct Account) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /tagged", serve(func(ctx context.Context, req taggedRequest) (taggedResponse, error) {
		res, next, err := acct.Tagged(ctx, req.Filter, req.Token)
		return taggedResponse{res, next}, err
	}))
	mux.HandleFunc("POST /find", serve(func(ctx context.Context, req findRequest) (findResponse, error) {
		res, found, err := acct.Find(ctx, req.Type, req.Name)
		return findResponse{res, found}, err
	}))
	mux.HandleFunc("POST /delete", serve(func(ctx context.Context, req deleteRequest) (struct{}, error) {
		return struct{}{}, acct.Delete(ctx, req.Resource)
	}))
	return mux
}

// serve decodes a request, runs op under the request's context (a client
// that gives up cancels it) and encodes its answer.
func serve[Req, Resp any](op func(context.Context, Req) (Resp, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(errorResponse{Error: "bad request: " + err.Error()})
			return
		}
		resp, err := op(r.Context(), req)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			json.NewEncoder(w).Encode(errorResponse{Error: err.Error(), NoName: errors.Is(err, account.ErrNoName)})
			return
		}
		json.NewEncoder(w).Encode(resp)
	}
}
