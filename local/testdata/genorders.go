//go:build ignore

// genorders writes N generated orders, one JSON order a line, for
// `orderpipe local --orders`: mostly valid ones, with duplicates (the same
// line again), reformatted re-sends (other decimals, another offset for the
// same instant), conflicts (another amount under a stored id) and poison
// orders (a broken rule, or not JSON). The shares are fixed; the seed
// makes the file reproducible.
//
//	go run local/testdata/genorders.go -n 10000 > orders.jsonl
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
)

func main() {
	n := flag.Int("n", 10000, "orders to write")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	rnd := rand.New(rand.NewPCG(*seed, 0))
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	order := func(id, total, price, createdAt string) string {
		return fmt.Sprintf(`{"orderId":"%s","customerId":"c-%d","items":[{"sku":"SKU-1","quantity":2,"unitPrice":"%s"}],"currency":"EUR","total":"%s","createdAt":"%s"}`,
			id, len(id), price, total, createdAt)
	}
	stored := 0 // valid orders written so far, the ones re-sends refer to
	for i := range *n {
		id := fmt.Sprintf("g-%07d", i)
		switch p := rnd.IntN(100); {
		case p < 6 && stored > 0: // a duplicate: the same line again
			j := rnd.IntN(stored)
			fmt.Fprintln(w, order(fmt.Sprintf("g-%07d", j), "20.00", "10.00", "2026-11-26T14:37:00Z"))
		case p < 12 && stored > 0: // reformatted: the same order written another way
			j := rnd.IntN(stored)
			fmt.Fprintln(w, order(fmt.Sprintf("g-%07d", j), "20", "10.0", "2026-11-26T15:37:00.000+01:00"))
		case p < 13 && stored > 0: // a conflict: another amount under a stored id
			j := rnd.IntN(stored)
			fmt.Fprintln(w, order(fmt.Sprintf("g-%07d", j), "22.00", "11.00", "2026-11-26T14:37:00Z"))
		case p < 14: // poison
			if p%2 == 0 {
				fmt.Fprintln(w, `{"orderId":"`+id+`","customerId":`)
			} else {
				fmt.Fprintln(w, order(id, "19.99", "10.00", "2026-11-26T14:37:00Z"))
			}
		default:
			fmt.Fprintln(w, order(fmt.Sprintf("g-%07d", stored), "20.00", "10.00", "2026-11-26T14:37:00Z"))
			stored++
		}
	}
}
