//go:build ignore

// gen writes table.go from ISO 4217 List One as the npm package
// currency-codes ships it (iso-4217-list-one.xml, the maintenance agency's
// own file), and from Unicode CLDR's record of where and when each code was
// in use (cldr-core's supplemental/currencyData.json, and aliases.json for
// the countries whose code was withdrawn, with names from cldr-bcp47): no npm package ships a newer List One or List Three, and
// CLDR's record is how the table learns of codes added and withdrawn since
// List One's date. It installs the pinned packages into a temporary
// directory with npm and reads their files, so the table is published data,
// never a hand list. Run it with `go generate ./function/iso4217`.
package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The sources, pinned: change a version and run go generate to take newer data.
const (
	pkg         = "currency-codes"
	version     = "2.2.0"
	cldrVersion = "48.2.0" // of both cldr-core and cldr-bcp47
)

// cldr is the part of cldr-core's supplemental/currencyData.json the table
// takes: each region's currencies with the dates of their use, and the
// digits CLDR gives the codes List One lacks.
type cldr struct {
	Supplemental struct {
		Version struct {
			CLDR string `json:"_cldrVersion"`
		} `json:"version"`
		CurrencyData struct {
			Fractions map[string]struct {
				Digits string `json:"_digits"`
			} `json:"fractions"`
			Region map[string][]map[string]struct {
				From   string `json:"_from"`
				To     string `json:"_to"`
				Tender string `json:"_tender"`
			} `json:"region"`
		} `json:"currencyData"`
	} `json:"supplemental"`
}

// aliases is the part of cldr-core's supplemental/aliases.json the table
// takes: the regions whose code was withdrawn, and which took their place.
type aliases struct {
	Supplemental struct {
		Metadata struct {
			Alias struct {
				Territory map[string]struct {
					Replacement string `json:"_replacement"`
				} `json:"territoryAlias"`
			} `json:"alias"`
		} `json:"metadata"`
	} `json:"supplemental"`
}

// bcp47 is cldr-bcp47's bcp47/currency.json: the codes' English names.
type bcp47 struct {
	Keyword struct {
		U struct {
			Cu map[string]json.RawMessage `json:"cu"`
		} `json:"u"`
	} `json:"keyword"`
}

type listOne struct {
	Published string `xml:"Pblshd,attr"`
	Entries   []struct {
		Country string `xml:"CtryNm"`
		Name    struct {
			Text   string `xml:",chardata"`
			IsFund bool   `xml:"IsFund,attr"`
		} `xml:"CcyNm"`
		Code       string `xml:"Ccy"`
		Number     string `xml:"CcyNbr"`
		MinorUnits string `xml:"CcyMnrUnts"`
	} `xml:"CcyTbl>CcyNtry"`
}

func main() {
	out := flag.String("o", "table.go", "the Go file to write")
	modules := flag.String("modules", "", "read the packages from this node_modules instead of installing them")
	printPackages := flag.Bool("packages", false, "print the pinned packages and exit")
	flag.Parse()
	packages := []string{pkg + "@" + version, "cldr-core@" + cldrVersion, "cldr-bcp47@" + cldrVersion}
	if *printPackages {
		fmt.Println(strings.Join(packages, " "))
		return
	}
	if err := run(*out, *modules, packages); err != nil {
		log.Fatal(err)
	}
}

// run writes out from modules, or from the packages npm installs into a
// temporary directory when modules is "".
func run(out, modules string, packages []string) error {
	if modules == "" {
		dir, err := os.MkdirTemp("", "iso4217-gen-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		npm := exec.Command("npm", append([]string{"install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", "--prefix", dir}, packages...)...)
		npm.Stdout, npm.Stderr = os.Stderr, os.Stderr
		if err := npm.Run(); err != nil {
			return fmt.Errorf("npm install: %w", err)
		}
		modules = filepath.Join(dir, "node_modules")
	}
	return write(out, modules)
}

func write(out, modules string) error {
	raw, err := os.ReadFile(filepath.Join(modules, pkg, "iso-4217-list-one.xml"))
	if err != nil {
		return err
	}
	var list listOne
	if err := xml.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("read List One: %w", err)
	}
	var uses cldr
	if err := readJSON(filepath.Join(modules, "cldr-core", "supplemental", "currencyData.json"), &uses); err != nil {
		return err
	}
	var names bcp47
	if err := readJSON(filepath.Join(modules, "cldr-bcp47", "bcp47", "currency.json"), &names); err != nil {
		return err
	}
	var regions aliases
	if err := readJSON(filepath.Join(modules, "cldr-core", "supplemental", "aliases.json"), &regions); err != nil {
		return err
	}
	src, err := table(list, uses, names, regions)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

type row struct {
	code, name   string
	number, unit int
	fund         bool
}

func readJSON(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func table(list listOne, uses cldr, names bcp47, regions aliases) ([]byte, error) {
	rows := map[string]row{}
	for _, e := range list.Entries {
		if e.Code == "" {
			continue // a country with no universal currency, such as Antarctica
		}
		n, err := strconv.Atoi(e.Number)
		if err != nil {
			return nil, fmt.Errorf("%s: numeric code %q: %v", e.Code, e.Number, err)
		}
		unit := -1 // "N.A.": ISO gives the code no minor unit
		if e.MinorUnits != "N.A." {
			if unit, err = strconv.Atoi(e.MinorUnits); err != nil {
				return nil, fmt.Errorf("%s: minor units %q: %v", e.Code, e.MinorUnits, err)
			}
		}
		r := row{e.Code, strings.TrimSpace(e.Name.Text), n, unit, e.Name.IsFund}
		if prev, ok := rows[e.Code]; ok && (prev.unit != r.unit || prev.number != r.number) {
			return nil, fmt.Errorf("%s is listed twice with different numbers or minor units", e.Code)
		}
		rows[e.Code] = r
	}
	codes := make([]string, 0, len(rows))
	for c := range rows {
		codes = append(codes, c)
	}
	sort.Strings(codes)

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by gen.go from %s@%s, cldr-core@%s and cldr-bcp47@%s; DO NOT EDIT.\n\n", pkg, version, cldrVersion, cldrVersion)
	fmt.Fprintf(&b, "package iso4217\n\n")
	fmt.Fprintf(&b, "// The source of the table.\nconst (\n")
	fmt.Fprintf(&b, "\tSourcePackage = %q // npm\n\tSourceVersion = %q\n", pkg, version)
	fmt.Fprintf(&b, "\tPublished = %q // List One's publication date (its Pblshd attribute)\n", list.Published)
	fmt.Fprintf(&b, "\tHistoryPackage = \"cldr-core\" // npm: CLDR's supplemental currencyData\n\tHistoryVersion = %q\n", cldrVersion)
	fmt.Fprintf(&b, "\tCLDR = %q // the CLDR release of that data\n)\n\n", uses.Supplemental.Version.CLDR)
	fmt.Fprintf(&b, "var listOne = map[string]Currency{\n")
	for _, c := range codes {
		r := rows[c]
		fmt.Fprintf(&b, "\t%q: {Code: %q, Name: %q, Number: %d, MinorUnits: %d, Fund: %v},\n", c, c, r.name, r.number, r.unit, r.fund)
	}
	fmt.Fprintf(&b, "}\n\n")
	if err := history(&b, rows, list.Published, uses, names); err != nil {
		return nil, err
	}
	regionAliases(&b, uses, regions)
	return format.Source(b.Bytes())
}

// history writes CLDR's uses of every code, and the codes List One lacks
// that CLDR has in legal tender from after List One's date, with CLDR's
// digits and name.
func history(b *bytes.Buffer, inListOne map[string]row, published string, data cldr, names bcp47) error {
	cd := data.Supplemental.CurrencyData
	byCode := map[string][]use{}
	for region, entries := range cd.Region {
		for _, e := range entries {
			for code, u := range e {
				byCode[code] = append(byCode[code], use{region, u.From, u.To, u.Tender != "false"})
			}
		}
	}
	codes := make([]string, 0, len(byCode))
	for c := range byCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)

	fmt.Fprintf(b, "// added are the codes List One lacks that CLDR %s has in legal tender\n", data.Supplemental.Version.CLDR)
	fmt.Fprintf(b, "// from after List One's date, with CLDR's digits and name.\nvar added = map[string]Currency{\n")
	for _, c := range codes {
		if _, ok := inListOne[c]; ok {
			continue
		}
		first := ""
		for _, u := range byCode[c] {
			if u.tender && u.from > published && (first == "" || u.from < first) {
				first = u.from
			}
		}
		if first == "" {
			continue
		}
		digits := cd.Fractions["DEFAULT"].Digits
		if f, ok := cd.Fractions[c]; ok {
			digits = f.Digits
		}
		unit, err := strconv.Atoi(digits)
		if err != nil {
			return fmt.Errorf("%s: CLDR digits %q: %v", c, digits, err)
		}
		var name struct {
			Description string `json:"_description"`
		}
		if raw, ok := names.Keyword.U.Cu[strings.ToLower(c)]; ok {
			if err := json.Unmarshal(raw, &name); err != nil {
				return fmt.Errorf("%s: CLDR name: %v", c, err)
			}
		}
		fmt.Fprintf(b, "\t%q: {Code: %q, Name: %q, MinorUnits: %d, Added: %q},\n", c, c, name.Description, unit, first)
	}
	fmt.Fprintf(b, "}\n\n")

	fmt.Fprintf(b, "// uses are CLDR %s's record of each code's use: region, first and last\n", data.Supplemental.Version.CLDR)
	fmt.Fprintf(b, "// day (\"\" when open), legal tender or not.\nvar uses = map[string][]use{\n")
	for _, c := range codes {
		us := byCode[c]
		sort.Slice(us, func(i, j int) bool {
			if us[i].region != us[j].region {
				return us[i].region < us[j].region
			}
			return us[i].from < us[j].from
		})
		fmt.Fprintf(b, "\t%q: {", c)
		for i, u := range us {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "{%q, %q, %q, %v}", u.region, u.from, u.to, u.tender)
		}
		fmt.Fprintf(b, "},\n")
	}
	fmt.Fprintf(b, "}\n")
	return nil
}

// regionAliases writes, for each region CLDR's currency data names whose
// code was withdrawn, the regions that took its place.
func regionAliases(b *bytes.Buffer, data cldr, regions aliases) {
	var withdrawn []string
	for r := range data.Supplemental.CurrencyData.Region {
		if a, ok := regions.Supplemental.Metadata.Alias.Territory[r]; ok && a.Replacement != "" {
			withdrawn = append(withdrawn, r)
		}
	}
	sort.Strings(withdrawn)
	fmt.Fprintf(b, "\n// regionAliases are CLDR's territory aliases of the regions above whose\n")
	fmt.Fprintf(b, "// code was withdrawn: the regions that took their place.\nvar regionAliases = map[string][]string{\n")
	for _, r := range withdrawn {
		fmt.Fprintf(b, "\t%q: {", r)
		for i, by := range strings.Fields(regions.Supplemental.Metadata.Alias.Territory[r].Replacement) {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%q", by)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
}

type use struct {
	region, from, to string
	tender           bool
}
