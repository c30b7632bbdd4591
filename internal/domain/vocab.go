package domain

// Term is one entry of a closed vocabulary. Code is stable and stored; the
// labels are for people; ESF names the HURIDOCS Events Standard Formats term
// the code maps to, where one exists, so exports stay comparable.
type Term struct {
	Code string `json:"code"`
	EN   string `json:"en"`
	FI   string `json:"fi"`
	ESF  string `json:"esf,omitempty"`
}

// Vocabulary is a closed list of terms. Unknown is a legal value wherever
// testimony may be partial, so most vocabularies list it.
type Vocabulary struct {
	Name  string `json:"name"`
	Terms []Term `json:"terms"`
}

// Has reports whether code is a term of v.
func (v Vocabulary) Has(code string) bool {
	for _, t := range v.Terms {
		if t.Code == code {
			return true
		}
	}
	return false
}

// Label returns the label of code in lang ("fi" or anything else for
// English); an unknown code is returned as it is.
func (v Vocabulary) Label(code, lang string) string {
	for _, t := range v.Terms {
		if t.Code == code {
			if lang == "fi" {
				return t.FI
			}
			return t.EN
		}
	}
	return code
}

// Codes lists the codes in order.
func (v Vocabulary) Codes() []string {
	out := make([]string, len(v.Terms))
	for i, t := range v.Terms {
		out[i] = t.Code
	}
	return out
}

// Unknown is the code every partial-information vocabulary shares.
const Unknown = "unknown"

var unknownTerm = Term{Code: Unknown, EN: "Unknown", FI: "Ei tiedossa", ESF: "Unknown"}

// The vocabularies. Codes never change once released; labels may.
var (
	DatePrecisions = Vocabulary{"date_precision", []Term{
		{"exact", "Exact (date and time)", "Tarkka (päivä ja kellonaika)", ""},
		{"day", "Day", "Päivä", ""},
		{"month", "Month", "Kuukausi", "Unknown day"},
		{"year", "Year", "Vuosi", "Unknown month and day"},
		{"estimate", "Estimate", "Arvio", "Estimate"},
		unknownTerm,
	}}

	TestimonyModes = Vocabulary{"testimony_mode", []Term{
		{"in_person", "In person", "Kasvokkain", ""},
		{"phone", "Phone", "Puhelin", ""},
		{"online", "Online call or chat", "Verkossa", ""},
		{"written", "Written statement", "Kirjallinen", ""},
		{"public_form", "Public report form", "Julkinen ilmoituslomake", ""},
		{"published_account", "Published account (media, report)", "Julkaistu kertomus (media, raportti)", "Third party"},
		unknownTerm,
	}}

	AgeBands = Vocabulary{"age_band", []Term{
		{"under_14", "Under 14", "Alle 14", ""},
		{"14_17", "14–17", "14–17", ""},
		{"18_25", "18–25", "18–25", ""},
		{"26_35", "26–35", "26–35", ""},
		{"36_50", "36–50", "36–50", ""},
		{"over_50", "Over 50", "Yli 50", ""},
		unknownTerm,
	}}

	Genders = Vocabulary{"gender", []Term{
		{"woman", "Woman", "Nainen", "Female"},
		{"man", "Man", "Mies", "Male"},
		{"other", "Other", "Muu", ""},
		unknownTerm,
	}}

	Reliabilities = Vocabulary{"reliability", []Term{
		{"high", "Highly reliable", "Erittäin luotettava", "Highly reliable"},
		{"likely", "Likely reliable", "Todennäköisesti luotettava", "Likely reliable"},
		{"unsure", "Unsure", "Epävarma", "Unsure"},
		{"unlikely", "Likely unreliable", "Todennäköisesti epäluotettava", "Likely unreliable"},
		unknownTerm,
	}}

	// Relations say how the narrator knows what they tell; they decide
	// whether two testimonies are independent sources.
	Relations = Vocabulary{"relation", []Term{
		{"victim", "Victim", "Uhri", "Involved in the event: victim"},
		{"eyewitness", "Eyewitness", "Silminnäkijä", "Involved in the event: witness"},
		{"relative", "Relative", "Omainen", "Related to participants: relative"},
		{"hearsay", "Hearsay", "Kuulopuhe", "Third party"},
		{"other", "Other", "Muu", ""},
	}}

	IncidentKinds = Vocabulary{"incident_kind", []Term{
		{"pushback", "Pushback", "Käännytys rajalta (pushback)", "Expulsion; deportation"},
		{"denied_asylum", "Denied access to asylum", "Turvapaikanhaun estäminen", "Denial of asylum"},
		{"violence", "Violence", "Väkivalta", ""},
		{"threat", "Threat", "Uhkailu", "Threats"},
		{"detention", "Detention", "Säilöönotto", "Detention"},
		{"family_separation", "Family separation", "Perheen erottaminen", ""},
		{"injury", "Injury", "Vamma", "Wounding"},
		{"death", "Death", "Kuolema", "Killing"},
		{"other", "Other", "Muu", ""},
	}}

	ViolenceTypes = Vocabulary{"violence_type", []Term{
		{"beating", "Beating (hands or feet)", "Lyöminen (kädet tai jalat)", "Beating"},
		{"beating_objects", "Beating with batons or objects", "Lyöminen patukalla tai esineellä", "Beating"},
		{"kicking", "Kicking", "Potkiminen", "Beating"},
		{"punching", "Punching", "Nyrkillä lyöminen", "Beating"},
		{"pushing_to_ground", "Pushing or throwing to the ground", "Maahan tönäiseminen tai heittäminen", ""},
		{"forced_restraint", "Forcible restraint or handcuffing", "Väkivaltainen kiinnipito tai käsiraudat", ""},
		{"exposure_cold", "Forced into water or exposure to cold", "Veteen pakottaminen tai altistaminen kylmälle", "Exposure to extreme heat or cold"},
		{"electric_discharge", "Electric discharge weapon or prod", "Sähkölamautin tai -piikki", "Application of electric shock"},
		{"pepper_spray", "Pepper spray or tear gas", "Pippurisumute tai kyynelkaasu", "Use of tear gas"},
		{"firearm", "Gunshots or threats with a firearm", "Ampuminen tai uhkailu aseella", "Shooting"},
		{"dog_attack", "Dog attack", "Koiran hyökkäys", "Use of animals"},
		{"forced_undressing", "Forced undressing or humiliation", "Riisuttaminen tai nöyryyttäminen", "Degradation"},
		{"theft", "Theft or destruction of belongings or phones", "Omaisuuden tai puhelimen vienti tai tuhoaminen", "Confiscation of property"},
		{"denial_of_care", "Denial of food, water or medical care", "Ruoan, veden tai hoidon epääminen", ""},
		{"verbal_abuse", "Verbal abuse and threats", "Sanallinen väkivalta ja uhkailu", "Threats"},
		{"sexual_violence", "Sexual violence", "Seksuaalinen väkivalta", ""},
		{"other", "Other", "Muu", ""},
		unknownTerm,
	}}

	Authorities = Vocabulary{"authority", []Term{
		{"fi_border_guard", "Finnish Border Guard", "Rajavartiolaitos", "Governmental: border police"},
		{"fi_police", "Finnish police", "Suomen poliisi", "Governmental: police"},
		{"ru_border_guard", "Russian border guard (FSB)", "Venäjän rajavartiosto (FSB)", "Governmental: border police"},
		{"lv_border_guard", "Latvian State Border Guard", "Latvian rajavartiosto", "Governmental: border police"},
		{"lt_border_guard", "Lithuanian State Border Guard", "Liettuan rajavartiosto", "Governmental: border police"},
		{"pl_border_guard", "Polish Border Guard", "Puolan rajavartiosto", "Governmental: border police"},
		{"by_border_guard", "Belarusian border guard", "Valko-Venäjän rajavartiosto", "Governmental: border police"},
		{"military", "Military", "Sotilaat", "Governmental: armed forces"},
		{"non_state", "Non-state actor", "Muu kuin viranomainen", "Non-governmental"},
		{"other", "Other", "Muu", ""},
		unknownTerm,
	}}

	TriStates = Vocabulary{"tri_state", []Term{
		{"yes", "Yes", "Kyllä", ""},
		{"no", "No", "Ei", ""},
		unknownTerm,
	}}

	Outcomes = Vocabulary{"outcome", []Term{
		{"pushed_back", "Pushed back", "Käännytetty takaisin", "Expulsion; deportation"},
		{"admitted", "Admitted to the asylum procedure", "Päästetty turvapaikkamenettelyyn", ""},
		{"detained", "Detained", "Otettu säilöön", "Detention"},
		{"mixed", "Mixed: some admitted, some pushed back", "Osa päästetty, osa käännytetty", ""},
		{"other", "Other", "Muu", ""},
		unknownTerm,
	}}

	PlacePrecisions = Vocabulary{"place_precision", []Term{
		{"exact", "Exact point", "Tarkka piste", ""},
		{"crossing_point", "At or near the crossing point", "Rajanylityspaikalla tai sen lähellä", "Border crossing"},
		{"area", "Area (within about 10 km)", "Alue (noin 10 km)", ""},
		{"region", "Region", "Seutu", ""},
		unknownTerm,
	}}

	Verifications = Vocabulary{"verification", []Term{
		{"unverified", "Unverified", "Vahvistamaton", "Possible"},
		{"corroborated", "Corroborated", "Tuettu", "Likely"},
		{"confirmed", "Confirmed", "Vahvistettu", "Confirmed"},
		{"disputed", "Disputed", "Kiistetty", "Unlikely"},
	}}

	CrossingModes = Vocabulary{"crossing_mode", []Term{
		{"road", "Road", "Tie", ""},
		{"rail", "Rail", "Rautatie", ""},
		{"road_rail", "Road and rail", "Tie ja rautatie", ""},
		{"sea", "Sea or waterway", "Meri tai vesitie", ""},
		{"air", "Airport", "Lentoasema", ""},
		{"green_border", "Green border (no crossing point)", "Vihreä raja (ei rajanylityspaikkaa)", ""},
	}}

	PolicyEventKinds = Vocabulary{"policy_event_kind", []Term{
		{"decision", "Decision announced", "Päätös", ""},
		{"closed", "Closed", "Suljettu", ""},
		{"reopened", "Reopened", "Avattu uudelleen", ""},
		{"restricted", "Restricted (some traffic only)", "Rajoitettu (vain osa liikenteestä)", ""},
		{"extended", "Closure extended", "Sulkemista jatkettu", ""},
		{"law", "Law", "Laki", ""},
		// A claim is what one source says happened, kept beside the official
		// record where the two disagree; it never changes a status.
		{"claim", "Claim by a source (changes no status)", "Lähteen väite (ei muuta tilaa)", ""},
	}}

	// CrossingStatuses are derived from policy events, never typed in.
	CrossingStatuses = Vocabulary{"crossing_status", []Term{
		{"open", "Open", "Auki", ""},
		{"closed", "Closed", "Suljettu", ""},
		{"restricted", "Restricted", "Rajoitettu", ""},
	}}

	FigureMeasures = Vocabulary{"figure_measure", []Term{
		{"asylum_seekers", "Persons who sought asylum", "Turvapaikkaa hakeneet henkilöt", ""},
		{"asylum_applications", "Asylum applications", "Turvapaikkahakemukset", ""},
		{"arrivals", "Arrivals at the border", "Rajalle saapuneet", ""},
		{"decisions", "Decisions", "Päätökset", ""},
		{"positive_decisions", "Positive decisions", "Myönteiset päätökset", ""},
		{"negative_decisions", "Negative decisions", "Kielteiset päätökset", ""},
		{"discontinued", "Discontinued or lapsed", "Rauenneet tai lopetetut", ""},
		{"pending", "Pending applications", "Vireillä olevat hakemukset", ""},
		{"missing", "Missing from reception", "Vastaanotosta kadonneet", ""},
	}}

	FigureUnits = Vocabulary{"figure_unit", []Term{
		{"persons", "Persons", "Henkilöä", ""},
		{"applications", "Applications", "Hakemusta", ""},
		{"decisions", "Decisions", "Päätöstä", ""},
	}}

	// Breakdowns say what a figure is a part of; "total" means no breakdown.
	Breakdowns = Vocabulary{"breakdown", []Term{
		{"total", "Total", "Yhteensä", ""},
		{"nationality", "Nationality", "Kansalaisuus", ""},
		{"crossing_point", "Crossing point", "Rajanylityspaikka", ""},
	}}

	Approximations = Vocabulary{"approximation", []Term{
		{"exact", "Exact", "Tarkka", ""},
		{"about", "About", "Noin", ""},
		{"over", "Over", "Yli", ""},
		{"under", "Under", "Alle", ""},
	}}

	ProcedureEventKinds = Vocabulary{"procedure_event", []Term{
		{"applied", "Applied for asylum", "Haki turvapaikkaa", ""},
		{"registered", "Application registered", "Hakemus rekisteröity", ""},
		{"interview_scheduled", "Interview scheduled", "Puhuttelu sovittu", ""},
		{"interviewed", "Asylum interview held", "Turvapaikkapuhuttelu pidetty", ""},
		{"decision_positive", "Decision: positive", "Päätös: myönteinen", ""},
		{"decision_negative", "Decision: negative", "Päätös: kielteinen", ""},
		{"decision_discontinued", "Decision: discontinued", "Päätös: raukeaminen", ""},
		{"appeal", "Appeal lodged", "Valitus jätetty", ""},
		{"transferred", "Transferred (e.g. Dublin)", "Siirretty (esim. Dublin)", ""},
		{"left", "Left the reception centre", "Poistui vastaanottokeskuksesta", ""},
		{"withdrawn", "Application withdrawn", "Hakemus peruttu", ""},
	}}

	Roles = Vocabulary{"role", []Term{
		{"admin", "Administrator", "Ylläpitäjä", ""},
		{"coordinator", "Coordinator", "Koordinaattori", ""},
		{"monitor", "Monitor", "Dokumentoija", ""},
		{"legal_aid", "Legal-aid worker", "Oikeusavustaja", ""},
		{"analyst", "Analyst", "Analyytikko", ""},
	}}
)

// AllVocabularies lists every vocabulary, for the API and for tests that
// check each one has labels in every language.
func AllVocabularies() []Vocabulary {
	return []Vocabulary{DatePrecisions, TestimonyModes, AgeBands, Genders, Reliabilities, Relations,
		IncidentKinds, ViolenceTypes, Authorities, TriStates, Outcomes, PlacePrecisions, Verifications,
		CrossingModes, PolicyEventKinds, CrossingStatuses, FigureMeasures, FigureUnits, Breakdowns,
		Approximations, ProcedureEventKinds, Roles}
}
