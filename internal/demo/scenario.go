package demo

import (
	"fmt"

	"vigil/internal/domain"
)

// Dataset is the whole built-in scenario, ready for a loader to store. It
// holds no IDs and no passwords: the loader assigns both.
type Dataset struct {
	Users          []DemoUser
	CrossingPoints []domain.CrossingPoint
	PolicyEvents   []domain.PolicyEvent
	Figures        []domain.Figure
	Testimonies    []domain.Testimony
	Incidents      []domain.Incident
	Links          []DemoLink
	Cases          []domain.AsylumCase
	// Notes are editorial remarks about the data set as a whole, such as
	// places where sources disagree, each naming its sources.
	Notes []string
}

// DemoUser is one demo account. The loader generates its password and shows
// it once; nothing secret is shipped.
type DemoUser struct {
	User domain.User
}

// DemoLink ties Testimonies[Testimony] to Incidents[Incident].
type DemoLink struct {
	Testimony int
	Incident  int
	Relation  string
	Note      string
}

// ScenarioAsOf is the date the scenario's testimonies describe: the
// approximate publication of the article they come from. Waiting times in
// the demo cases are still running on this date.
var ScenarioAsOf = domain.Date{Year: 2024, Month: 2, Day: 1}

// Indexes into Dataset.Testimonies and Dataset.Incidents.
const (
	tAmir = iota
	tKhalid
)

const (
	iThreat = iota
	iSonReturned
	iTwentySyrians
	iFence
	iBicycle
	iLatviaProds
)

// Scenario builds the demo data set. Every record is normalised and
// validated with the domain rules; an error means the embedded tables and
// the code have drifted apart.
func Scenario() (Dataset, error) {
	cps, err := crossingPoints()
	if err != nil {
		return Dataset{}, err
	}
	known := make(map[string]bool, len(cps))
	for _, c := range cps {
		known[c.Code] = true
	}
	evs, err := policyEvents(known)
	if err != nil {
		return Dataset{}, err
	}
	evs = append(evs, articleClaim())
	figs, err := figures()
	if err != nil {
		return Dataset{}, err
	}
	d := Dataset{
		Users:          users(),
		CrossingPoints: cps,
		PolicyEvents:   evs,
		Figures:        figs,
		Testimonies:    testimonies(),
		Incidents:      incidents(),
		Links:          links(),
		Cases:          cases(),
		Notes:          notes(),
	}
	if err := d.check(known); err != nil {
		return Dataset{}, err
	}
	return d, nil
}

// check normalises and validates every record and the links between them.
func (d *Dataset) check(known map[string]bool) error {
	wrap := func(kind string, i int, err error) error {
		if err == nil {
			return nil
		}
		return fmt.Errorf("demo: %s %d: %w", kind, i, err)
	}
	for i := range d.Users {
		u := &d.Users[i].User
		u.Normalize()
		if err := wrap("user", i, u.Validate()); err != nil {
			return err
		}
	}
	for i := range d.CrossingPoints {
		d.CrossingPoints[i].Normalize()
		if err := wrap("crossing point", i, d.CrossingPoints[i].Validate()); err != nil {
			return err
		}
	}
	for i := range d.PolicyEvents {
		d.PolicyEvents[i].Normalize()
		if err := wrap("policy event", i, d.PolicyEvents[i].Validate()); err != nil {
			return err
		}
	}
	for i := range d.Figures {
		d.Figures[i].Normalize()
		if err := wrap("figure", i, d.Figures[i].Validate()); err != nil {
			return err
		}
	}
	for i := range d.Testimonies {
		d.Testimonies[i].Normalize()
		if err := wrap("testimony", i, d.Testimonies[i].Validate()); err != nil {
			return err
		}
	}
	for i := range d.Incidents {
		in := &d.Incidents[i]
		in.Normalize()
		if err := wrap("incident", i, in.Validate()); err != nil {
			return err
		}
		if in.CrossingPoint != "" && !known[in.CrossingPoint] {
			return fmt.Errorf("demo: incident %d names unknown crossing point %q", i, in.CrossingPoint)
		}
	}
	for i, l := range d.Links {
		if l.Testimony < 0 || l.Testimony >= len(d.Testimonies) || l.Incident < 0 || l.Incident >= len(d.Incidents) {
			return fmt.Errorf("demo: link %d points outside the data set", i)
		}
		// IDs are placeholders: the domain rule wants positive ones.
		dl := domain.Link{TestimonyID: int64(l.Testimony) + 1, IncidentID: int64(l.Incident) + 1, Relation: l.Relation, Note: l.Note}
		if err := wrap("link", i, dl.Validate()); err != nil {
			return err
		}
		d.Links[i].Note = dl.Note
	}
	for i := range d.Cases {
		c := &d.Cases[i]
		c.Normalize()
		if err := wrap("case", i, c.Validate()); err != nil {
			return err
		}
		if c.CrossingPoint != "" && !known[c.CrossingPoint] {
			return fmt.Errorf("demo: case %d names unknown crossing point %q", i, c.CrossingPoint)
		}
	}
	return nil
}

// SourcesOf returns, for incident i, what domain.ProposeVerification needs:
// the relation and narrator of every linked testimony.
func (d Dataset) SourcesOf(i int) []domain.LinkedSource {
	var out []domain.LinkedSource
	for _, l := range d.Links {
		if l.Incident == i {
			out = append(out, domain.LinkedSource{Relation: l.Relation, Narrator: d.Testimonies[l.Testimony].Narrator.Pseudonym})
		}
	}
	return out
}

func users() []DemoUser {
	mk := func(name, display string) DemoUser {
		return DemoUser{User: domain.User{Username: name, DisplayName: display, Role: name, Lang: "en"}}
	}
	return []DemoUser{
		mk("admin", "Demo administrator"),
		mk("coordinator", "Demo coordinator"),
		mk("monitor", "Demo monitor"),
		mk("legal_aid", "Demo legal-aid worker"),
		mk("analyst", "Demo analyst"),
	}
}

// Both testimonies come from one published interview, so their consent is
// what the article allows: the men spoke on condition of anonymity, so the
// record may be kept but nothing is quoted, shared or used in court.
var publishedAccountConsent = domain.Consent{Store: true}

func testimonies() []domain.Testimony {
	received := ScenarioAsOf
	return []domain.Testimony{
		tAmir: {
			ReceivedOn:  received,
			Mode:        "published_account",
			Narrator:    domain.Narrator{Pseudonym: "Amir", Nationality: "SY", AgeBand: domain.Unknown, Gender: "man"},
			Consent:     publishedAccountConsent,
			Reliability: "unsure",
			Narrative: `Source: a published interview (a Migrant Tales blog post from early 2024 drawing on The Contrapuntual), not an interview held by this project. The received-on date is the article's approximate publication date. Amir (a pseudonym) spoke on condition of anonymity.

Amir, a Syrian man, first tried to reach the EU through Belarus, making attempts towards Poland, Lithuania and Latvia and passing weeks of a freezing autumn out in the woods on the Belarusian side. On the Latvian side, guards pushed his group back into Belarus, using electric prods on them.

He meant only to pass through Russia. Staff at his hotel in Vyborg told him to be out by seven in the morning; around midday he was driven to a Russian control post some eight kilometres before the Finnish line, where officials questioned and registered him, took his fingerprints and stamped his passport. He entered Finland in November 2023 and applied for asylum.

In his view Finnish guards mostly treated his group well, though returns to Russia began in December 2023; he knows of these only from others. He was told of a Syrian woman who had come with her daughter and her grown son, over twenty: the two women could apply for asylum, while the young man was put back on the Russian side despite requesting it; what became of him is unknown. He also heard that about twenty Syrians were returned that month.

With his own eyes he saw a man scaling the border fence. Finnish guards dragged him down, hit him with their fists and tried to cuff him, then realised his hand was broken.

When the article appeared he was still waiting for his first asylum interview with Migri, the Finnish Immigration Service. He may not work and lives on roughly 300 euros a month.`,
		},
		tKhalid: {
			ReceivedOn:  received,
			Mode:        "published_account",
			Narrator:    domain.Narrator{Pseudonym: "Khalid", Nationality: "SY", AgeBand: domain.Unknown, Gender: "man"},
			Consent:     publishedAccountConsent,
			Reliability: "unsure",
			Narrative: `Source: a published interview (a Migrant Tales blog post from early 2024 drawing on The Contrapuntual), not an interview held by this project. The received-on date is the article's approximate publication date. Khalid is a pseudonym; the article also spells it "Khaled", and both spellings mean the same man, who spoke on condition of anonymity.

Khalid is a Syrian man who crossed into Finland in 2023. The article does not say in which month; November is the most likely. He thinks he crossed at Vaalimaa but is not certain.

He paid 300 euros for a bicycle, and that sum also bought him a lift by car up to the frontier. Russian guards asked the group whether anyone among them was smuggling people, then told them to cycle on towards Finland without turning round.

On the Finnish side a border guard at first ordered him away, warning that he would be kicked back over the line into Russia. Khalid kept saying he wanted asylum, and in the end his application was accepted.

He also saw a second man attempt to cycle across into Finland. A border guard ran after the man, caught him, kicked him and put him in handcuffs.

Khalid is afraid of being sent back. A Syrian returned to Russia, he explains, would probably be deported on to Syria and face prison and possibly death there. When the article appeared he was still waiting in the asylum procedure.`,
		},
	}
}

func ip(n int) *int { return &n }

// The south-eastern crossing Khalid names is a guess of his own; the place
// fields say so and the precision is the region, not the crossing point.
const khalidPlace = "Finnish–Russian border, possibly at the Vaalimaa crossing (the narrator is not sure)"

func incidents() []domain.Incident {
	nov2023Estimate := domain.FuzzyDate{From: domain.Date{Year: 2023, Month: 11, Day: 1}, To: domain.Date{Year: 2023, Month: 11, Day: 30}, Precision: "estimate"}
	dec2023 := domain.FuzzyDate{From: domain.Date{Year: 2023, Month: 12, Day: 1}, To: domain.Date{Year: 2023, Month: 12, Day: 31}, Precision: "month"}
	sy := func(n *int) []domain.NationalityCount { return []domain.NationalityCount{{Country: "SY", Count: n}} }
	singleSource := func(who string) domain.Verification {
		return domain.Verification{Status: "unverified", Reason: "A single source: " + who +
			", taken from a published interview. No second, independent account and no documentary evidence is linked."}
	}
	hearsayOnly := domain.Verification{Status: "unverified", Reason: "Only hearsay: the narrator was told about this and did not see it. " +
		"No victim or eyewitness account and no evidence is linked."}

	return []domain.Incident{
		iThreat: {
			Title:           "Guard threatens to send asylum seeker back to Russia, possibly at Vaalimaa",
			When:            nov2023Estimate,
			CrossingPoint:   "vaalimaa",
			Place:           khalidPlace,
			PlacePrecision:  "region",
			Kinds:           []string{"threat"},
			Group:           domain.Group{SizeMin: ip(1), SizeMax: ip(1), Nationalities: sy(ip(1))},
			ViolenceTypes:   []string{"verbal_abuse"},
			Perpetrator:     "fi_border_guard",
			AsylumRequested: "yes",
			Outcome:         "admitted",
			Verification:    singleSource("the victim's own account"),
			Summary: "Khalid says that when he reached the Finnish side, a Finnish border guard first ordered him away and warned that he would be kicked over the line into Russia. " +
				"He kept asking for asylum and his application was accepted. He thinks the crossing was Vaalimaa but is unsure, and the month is not given; November 2023 is an estimate. " +
				"If Vaalimaa is right, the date falls before that crossing shut on 18 November 2023 or on 14–15 December 2023, when it was briefly open again.",
			PublicSummary: "A Syrian man reports that a Finnish border guard told him to turn back and threatened to force him back to Russia before his asylum request was accepted. Late 2023; the place is uncertain.",
		},
		iSonReturned: {
			Title:           "Adult son returned to Russia while his mother and sister were let in",
			When:            dec2023,
			Place:           "Finnish–Russian border (place not stated)",
			PlacePrecision:  "region",
			PushedFrom:      []string{"FI"},
			PushedTo:        []string{"RU"},
			Kinds:           []string{"pushback", "denied_asylum", "family_separation"},
			Group:           domain.Group{SizeMin: ip(3), SizeMax: ip(3), Nationalities: sy(nil)},
			Perpetrator:     "fi_border_guard",
			AsylumRequested: "yes",
			Outcome:         "mixed",
			Verification:    hearsayOnly,
			Summary: "Amir was told, and did not see, that a Syrian mother crossed with her daughter and her son, a man over twenty. " +
				"Mother and daughter were allowed to apply for asylum; her son was returned across the border into Russia even though he had requested asylum, and what became of him is unknown. " +
				"No crossing point or day is given. In December 2023 the land border was open only on 14–15 December (Vaalimaa and Niirala); the account does not say whether it happened then or elsewhere.",
			PublicSummary: "Second-hand report: in December 2023 a young Syrian man was returned to Russia despite asking for asylum, while his mother and sister were admitted.",
		},
		iTwentySyrians: {
			Title:           "About 20 Syrians returned to Russia",
			When:            dec2023,
			Place:           "Finnish–Russian border (place not stated)",
			PlacePrecision:  "region",
			PushedFrom:      []string{"FI"},
			PushedTo:        []string{"RU"},
			Kinds:           []string{"pushback"},
			Group:           domain.Group{SizeMin: ip(20), SizeMax: ip(20), Nationalities: sy(ip(20))},
			Perpetrator:     "fi_border_guard",
			AsylumRequested: domain.Unknown,
			Outcome:         "pushed_back",
			Verification:    hearsayOnly,
			Summary: "Amir heard that roughly twenty Syrian nationals were returned to the Russian side during December 2023. He gives no place, day or detail of how it happened. " +
				"The size of 20 is his approximate figure, stored as both minimum and maximum. It may overlap with other December reports once more accounts are collected.",
			PublicSummary: "Second-hand report that around 20 Syrians were returned from Finland to Russia in December 2023.",
		},
		iFence: {
			Title:           "Man pulled off the border fence and punched; his hand was broken",
			When:            nov2023Estimate,
			Place:           "Finnish border fence on the Russian border (place not stated)",
			PlacePrecision:  "region",
			Kinds:           []string{"violence", "injury"},
			Group:           domain.Group{SizeMin: ip(1), SizeMax: ip(1)},
			ViolenceTypes:   []string{"punching", "forced_restraint"},
			Perpetrator:     "fi_border_guard",
			AsylumRequested: domain.Unknown,
			Outcome:         domain.Unknown,
			Verification:    singleSource("one eyewitness"),
			Summary: "Amir watched as a man attempted to get over the border fence. Finnish guards forced him off it, struck him with their fists and attempted to put cuffs on him, only then seeing that his hand was broken; " +
				"the account does not say how the hand was broken. Neither place nor day is given; November 2023, when Amir was at the border himself, is an estimate. " +
				"Amir adds that Finnish guards otherwise treated his group well.",
			PublicSummary: "An eyewitness reports that Finnish border guards pulled a man off the border fence, struck him with their fists and attempted to cuff him; his hand turned out to be broken. Late 2023.",
		},
		iBicycle: {
			Title:           "Cyclist chased down, kicked and handcuffed, possibly at Vaalimaa",
			When:            nov2023Estimate,
			CrossingPoint:   "vaalimaa",
			Place:           khalidPlace,
			PlacePrecision:  "region",
			Kinds:           []string{"violence"},
			Group:           domain.Group{SizeMin: ip(1), SizeMax: ip(1)},
			ViolenceTypes:   []string{"kicking", "forced_restraint"},
			Perpetrator:     "fi_border_guard",
			AsylumRequested: domain.Unknown,
			Outcome:         domain.Unknown,
			Verification:    singleSource("one eyewitness"),
			Summary: "Khalid saw a second man attempt to cross into Finland by bicycle. A Finnish guard ran after him and caught him; the man was then kicked and cuffed. " +
				"Place and date carry the same doubt as Khalid's own crossing: possibly Vaalimaa, probably November 2023. What happened to the man afterwards is not known.",
			PublicSummary: "An eyewitness reports that a Finnish border guard chased down a man cycling across the border, and that the man was kicked and handcuffed. Late 2023; the place is uncertain.",
		},
		iLatviaProds: {
			Title:           "Electric prods used to turn people back from Latvia into Belarus",
			When:            domain.FuzzyDate{From: domain.Date{Year: 2023, Month: 9, Day: 1}, To: domain.Date{Year: 2023, Month: 11, Day: 30}, Precision: "estimate"},
			Place:           "Latvia–Belarus border (place not stated)",
			PlacePrecision:  "region",
			PushedFrom:      []string{"LV"},
			PushedTo:        []string{"BY"},
			Kinds:           []string{"pushback", "violence"},
			Group:           domain.Group{Nationalities: sy(nil)},
			ViolenceTypes:   []string{"electric_discharge"},
			Perpetrator:     "lv_border_guard",
			AsylumRequested: domain.Unknown,
			Outcome:         "pushed_back",
			Verification:    singleSource("the account of one member of the group"),
			Summary: "Before reaching Finland, Amir tried to enter the EU from Belarus (towards Poland, Lithuania and Latvia), spending weeks of a freezing autumn in the woods on the Belarusian side. " +
				"On the Latvian side, guards forced his group back into Belarus and used electric prods on them. No place, day or group size is given; autumn 2023, before he reached Finland in November, is an estimate.",
			PublicSummary: "A Syrian man reports that he and others were forced back from Latvia into Belarus in autumn 2023 by guards using electric prods.",
		},
	}
}

func links() []DemoLink {
	return []DemoLink{
		{Testimony: tKhalid, Incident: iThreat, Relation: "victim", Note: "He was the one threatened."},
		{Testimony: tKhalid, Incident: iBicycle, Relation: "eyewitness", Note: "He saw it happen to another man."},
		{Testimony: tAmir, Incident: iSonReturned, Relation: "hearsay", Note: "He was told about it."},
		{Testimony: tAmir, Incident: iTwentySyrians, Relation: "hearsay", Note: "He heard about it."},
		{Testimony: tAmir, Incident: iFence, Relation: "eyewitness", Note: "He saw it himself."},
		{Testimony: tAmir, Incident: iLatviaProds, Relation: "victim", Note: "He was in the group that was turned back."},
	}
}

func cases() []domain.AsylumCase {
	// Neither man's arrival day is stated; the 15th stands for "some day in
	// November 2023" and the notes say so.
	arrived := domain.Date{Year: 2023, Month: 11, Day: 15}
	return []domain.AsylumCase{
		{
			Person:             domain.Person{Pseudonym: "Amir", Nationality: "SY", Gender: "man"},
			ArrivedOn:          arrived,
			StatusKnownOn:      ScenarioAsOf,
			ReceptionAllowance: ip(300),
			Events: []domain.ProcedureEvent{
				{On: arrived, Kind: "applied", Note: "Asked for asylum on arrival; the day is the same estimate as the arrival."},
				{On: arrived, Kind: "registered", Note: "Implied by his waiting for a Migri interview; the day is not given, so the arrival estimate is used. (The registration the account describes at the Russian checkpoint is a different step.)"},
			},
			Notes: "Arrived in November 2023; the day (15 November) is an estimate, the source gives only the month. The crossing point is not stated. " +
				"As of the article (early 2024) he had not been interviewed by Migri, so the wait for the interview is still open. " +
				"He may not work while waiting and lives on a reception allowance of about 300 euros a month.",
		},
		{
			Person:        domain.Person{Pseudonym: "Khalid", Nationality: "SY", Gender: "man"},
			ArrivedOn:     arrived,
			StatusKnownOn: ScenarioAsOf,
			CrossingPoint: "vaalimaa",
			Events: []domain.ProcedureEvent{
				{On: arrived, Kind: "applied", Note: "Accepted only after he held his ground against a guard who had ordered him away; the day is the same estimate as the arrival."},
			},
			Notes: "Crossed in 2023, most likely in November; the day (15 November) is an estimate. The crossing point is uncertain: he thinks it was Vaalimaa. " +
				"As of the article (early 2024) he was still waiting in the procedure, with no interview reported, so the wait is still open. " +
				"He fears being returned to Russia, from where he expects he would be deported on to Syria.",
		},
	}
}

// articleClaim keeps the article's account of 24 November in the timeline as
// a claim beside the official events it contradicts; a claim changes no
// crossing point's status.
func articleClaim() domain.PolicyEvent {
	day := domain.MustDate("2023-11-24")
	return domain.PolicyEvent{
		When: domain.FuzzyDate{From: day, To: day, Precision: "day"},
		Kind: "claim", CrossingPoints: append([]string(nil), RoadCrossingPoints...),
		Detail: "Migrant Tales writes that 24 November was the first day every checkpoint on the eastern border was shut. " +
			"The official timeline disagrees: Raja-Jooseppi stayed open until the end of 29 November, and the whole land border shut at 00:00 on 30 November. " +
			"Both accounts are kept; this entry changes no crossing point's status.",
		Source: domain.Source{Publisher: "Migrant Tales (blog)"},
	}
}

func notes() []string {
	return []string{
		"Sources disagree about 24 November 2023. The Migrant Tales article (early 2024) presents 24 November as the first day on which every checkpoint of the eastern border was shut. " +
			"The compiled official timeline says otherwise: from 24 November only Raja-Jooseppi stayed open (Government decision of 22 November, Helsinki Times, " +
			"https://www.helsinkitimes.fi/finland/finland-news/domestic/24503-finland-to-close-all-but-northernmost-crossing-on-eastern-border.html; MTV Uutiset, " +
			"https://www.mtvuutiset.fi/artikkeli/vain-raja-joosepin-rajanylityspaikka-on-auki-mtv-seuraa-itarajan-tilannetta/8825826), its last open day was 29 November " +
			"(ERR News, https://news.err.ee/1609178656/finland-to-close-its-entire-eastern-border-from-thursday), and all eight road crossings were shut from 00:00 on 30 November " +
			"(Finnish Customs, https://tulli.fi/en/-/traffic-across-the-eastern-border-to-end-temporarily-as-of-30-november-2023). " +
			"Both readings are kept. The article's claim is recorded in this note, not as a policy event, because crossing statuses are derived from events " +
			"and a closure of Raja-Jooseppi on 24 November would contradict the sourced timeline.",
		"The totals for the autumn 2023 wave differ by source: 1,323 (Border Guard, December 2023), 1,338 (MTV Uutiset, January 2024), 1,271 (Migrant Tales, to 29 January 2024), " +
			"slightly under 1,300 (Migri, 31 January 2024) and 1,282 (Migri, March 2024). The Border Guard's numbers are early tallies of people requesting protection on arrival; " +
			"Migri counts registered applications after removing duplicates; cut-off dates differ. All are kept and filed under the same measure and start date (1 August 2023) so they appear side by side.",
		"The 1,271 total and its breakdown (Syria 491, Somalia 360, Yemen 120, Iraq 57) are taken from the Migrant Tales article; we could not trace where they were first published. " +
			"The total leaves out about 200 Russian citizens waiting for a Migri interview.",
		"Only the Vartius coordinate is surveyed. Raja-Jooseppi uses a nearby weather station, the others are points on a simplified border line good to a few kilometres, and Parikkala has none.",
		"The testimonies of Amir and Khalid come from a published interview, not from this project's own interviews; both men spoke on condition of anonymity, so nothing from them may be quoted publicly. " +
			"Their arrival days and case dates are estimates within November 2023.",
		"Source tables: data/fi-eastern-border-2023 (compiled for the project, CC0; see SOURCE.md). Re-check figures against primary sources (raja.fi, intermin.fi, valtioneuvosto.fi, migri.fi) before publishing.",
	}
}
