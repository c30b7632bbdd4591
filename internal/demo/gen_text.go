package demo

// Phrase banks for synthetic narratives and summaries. Every sentence was
// written for this package; narratives are first-person, summaries
// third-person. Slots: {P} a place, {M} a month phrase in the language's own
// grammar, {N} a number of people. The rare words below never occur in a
// bank (a test checks), so a search for one finds only the records that
// were given it on purpose.

// Rare words, one per narrative language. About RarePerMille narratives in
// 1,000 carry the rare word of their language (and as many incident
// summaries carry the English or Finnish one), which gives search
// benchmarks selective queries with a predictable number of hits.
const (
	RareWordEN = "reindeer"
	RareWordFI = "porotokka"
	RareWordRU = "снегоход"
	RareWordAR = "مزلجة"
	RareWordFA = "گوزن"
	RareWordSO = "deero"

	RarePerMille = 3
)

// GenLanguages lists the narrative languages of the generator (BCP 47).
var GenLanguages = []string{"en", "fi", "ar", "so", "ru", "fa"}

// RareWord returns the rare word of a generator language, or "" for
// another language.
func RareWord(lang string) string {
	switch lang {
	case "en":
		return RareWordEN
	case "fi":
		return RareWordFI
	case "ru":
		return RareWordRU
	case "ar":
		return RareWordAR
	case "fa":
		return RareWordFA
	case "so":
		return RareWordSO
	}
	return ""
}

// narrativeText is one language's bank, before parsing.
type narrativeText struct {
	lang                                             string
	opening, route, guards, violence, outcome, close []string
	rare                                             string
	months                                           [12]string // as used in {M}
}

var narrativeTexts = []narrativeText{
	{
		lang: "en",
		opening: []string{
			"In {M} our group reached the border near {P}.",
			"We arrived at the border close to {P} in {M}.",
			"It was {M} and very cold when we came to the forest near {P}.",
			"I travelled with {N} other people and we walked towards {P}.",
			"We were a small group, and in {M} we tried to cross at {P}.",
		},
		route: []string{
			"Before that we waited several days in a flat in the city, and then a driver took us to the last road.",
			"We had crossed Russia by train and bus, and someone told us which way to go.",
			"The smugglers took our money and left us in the forest at night.",
			"We bought bicycles because we were told nobody may cross on foot.",
			"For two nights we slept outside without a fire.",
			"A man on the other side checked our passports and pointed to the barrier.",
		},
		guards: []string{
			"Border guards stopped us and did not listen when we asked for asylum.",
			"The officers took our phones and wrote down our names.",
			"They put us in a van and drove for a long time without saying where.",
			"One guard spoke English and said the border is closed for us.",
			"We asked for protection many times, but they only pointed back to the other side.",
			"Nobody explained anything to us in a language we understood.",
		},
		violence: []string{
			"One of the guards hit my friend on the back with a baton.",
			"They kicked a young man who had fallen in the snow.",
			"A dog was let loose and it bit a man on the leg.",
			"They made us sit on the frozen ground for hours.",
			"My hands were tied with plastic cuffs and it hurt for days.",
			"When I tried to speak, a guard pushed me to the ground.",
		},
		outcome: []string{
			"In the end they sent us back across the line, into the forest.",
			"Later we were allowed to stay and to apply, but some others were returned.",
			"They drove us to the gate and told us to walk back and not return.",
			"After many hours I was taken to a reception centre.",
		},
		close: []string{
			"I am still afraid and I cannot sleep well.",
			"Now I wait for my interview and I do not know how long it will take.",
			"I want people to know what happens at this border.",
			"My family does not know where I am.",
		},
		rare:   "We saw a " + RareWordEN + " on the road before the guards came.",
		months: [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	},
	{
		lang: "fi",
		opening: []string{
			"Saavuimme rajalle {M}. Paikan nimi oli {P}.",
			"Rajanylityspaikka oli {P}, ja tulimme sinne {M}.",
			"Matkustin {N} muun ihmisen kanssa kohti rajaa.",
			"Oli kova pakkanen, kun pääsimme metsän reunaan.",
			"Yritimme ylittää rajan {M} pienenä ryhmänä.",
		},
		route: []string{
			"Odotimme ensin monta päivää asunnossa kaupungissa, ja sitten kuljettaja vei meidät viimeiselle tielle.",
			"Ylitimme Venäjän junalla ja bussilla, ja joku neuvoi meille suunnan.",
			"Salakuljettajat ottivat rahamme ja jättivät meidät yöllä metsään.",
			"Ostimme polkupyörät, koska meille sanottiin, ettei rajaa saa ylittää jalan.",
			"Nukuimme kaksi yötä ulkona ilman tulta.",
		},
		guards: []string{
			"Rajavartijat pysäyttivät meidät eivätkä kuunnelleet, kun pyysimme turvapaikkaa.",
			"Virkailijat ottivat puhelimemme ja kirjoittivat nimemme ylös.",
			"Meidät laitettiin pakettiautoon, ja ajoimme pitkään tietämättä minne.",
			"Yksi vartija puhui englantia ja sanoi, että raja on meiltä suljettu.",
			"Pyysimme suojelua monta kertaa, mutta he vain osoittivat takaisin toiselle puolelle.",
		},
		violence: []string{
			"Yksi vartijoista löi ystävääni selkään patukalla.",
			"He potkivat nuorta miestä, joka oli kaatunut lumeen.",
			"Koira päästettiin irti, ja se puri miestä jalkaan.",
			"Meidät pakotettiin istumaan jäisellä maalla tuntikausia.",
			"Käteni sidottiin muovisiteillä, ja ne sattuivat monta päivää.",
		},
		outcome: []string{
			"Lopulta meidät käännytettiin takaisin rajan yli metsään.",
			"Myöhemmin saimme jäädä ja hakea turvapaikkaa, mutta osa palautettiin.",
			"He veivät meidät portille ja käskivät kävellä takaisin.",
			"Monen tunnin jälkeen minut vietiin vastaanottokeskukseen.",
		},
		close: []string{
			"Pelkään yhä enkä pysty nukkumaan kunnolla.",
			"Nyt odotan puhutteluani enkä tiedä, kuinka kauan se kestää.",
			"Haluan, että ihmiset tietävät, mitä tällä rajalla tapahtuu.",
			"Perheeni ei tiedä, missä olen.",
		},
		rare: "Tiellä oli " + RareWordFI + " ennen kuin vartijat tulivat.",
		months: [12]string{"tammikuussa", "helmikuussa", "maaliskuussa", "huhtikuussa", "toukokuussa", "kesäkuussa",
			"heinäkuussa", "elokuussa", "syyskuussa", "lokakuussa", "marraskuussa", "joulukuussa"},
	},
	{
		lang: "ar",
		opening: []string{
			"وصلت مجموعتنا إلى الحدود قرب {P} {M}.",
			"كان الجو باردًا جدًا عندما وصلنا إلى الغابة قرب الحدود.",
			"سافرت مع مجموعة من الناس نحو المعبر {P}.",
			"حاولنا العبور عند {P} {M}.",
		},
		route: []string{
			"انتظرنا أولًا عدة أيام في شقة في المدينة، ثم أخذنا سائق إلى آخر طريق.",
			"عبرنا روسيا بالقطار والحافلة، وأخبرنا أحدهم بالطريق.",
			"أخذ المهربون أموالنا وتركونا في الغابة ليلًا.",
			"اشترينا دراجات لأنهم قالوا لنا إن العبور سيرًا على الأقدام ممنوع.",
			"نمنا ليلتين في العراء دون نار.",
		},
		guards: []string{
			"أوقفنا حرس الحدود ولم يستمعوا إلينا عندما طلبنا اللجوء.",
			"أخذ الضباط هواتفنا وكتبوا أسماءنا.",
			"وضعونا في سيارة وقادوا وقتًا طويلًا دون أن يقولوا إلى أين.",
			"كان أحد الحراس يتكلم الإنجليزية وقال إن الحدود مغلقة أمامنا.",
			"طلبنا الحماية مرات كثيرة، لكنهم كانوا يشيرون فقط إلى الجهة الأخرى.",
		},
		violence: []string{
			"ضرب أحد الحراس صديقي على ظهره بعصا.",
			"ركلوا شابًا سقط في الثلج.",
			"أطلقوا كلبًا فعض رجلًا في ساقه.",
			"أجبرونا على الجلوس على الأرض المتجمدة لساعات.",
			"ربطوا يديّ بقيود بلاستيكية وبقيت تؤلمني أيامًا.",
		},
		outcome: []string{
			"في النهاية أعادونا عبر الخط إلى الغابة.",
			"لاحقًا سمحوا لنا بالبقاء وتقديم طلب اللجوء، لكن آخرين أُعيدوا.",
			"أخذونا إلى البوابة وأمرونا بالعودة وعدم الرجوع.",
			"بعد ساعات طويلة نُقلت إلى مركز استقبال.",
		},
		close: []string{
			"ما زلت خائفًا ولا أستطيع النوم جيدًا.",
			"أنا الآن أنتظر المقابلة ولا أعرف كم سيطول الانتظار.",
			"أريد أن يعرف الناس ما يحدث على هذه الحدود.",
			"عائلتي لا تعرف أين أنا.",
		},
		rare: "رأينا " + RareWordAR + " على الطريق قبل أن يأتي الحراس.",
		months: [12]string{"في شهر يناير", "في شهر فبراير", "في شهر مارس", "في شهر أبريل", "في شهر مايو", "في شهر يونيو",
			"في شهر يوليو", "في شهر أغسطس", "في شهر سبتمبر", "في شهر أكتوبر", "في شهر نوفمبر", "في شهر ديسمبر"},
	},
	{
		lang: "so",
		opening: []string{
			"Kooxdayadu waxay gaartay xadka u dhow {P} {M}.",
			"Aad bay u qabowday markii aan gaarnay kaynta xadka ku taal.",
			"Waxaan la socday dad kale, waxaana u soconnay dhanka {P}.",
			"Waxaan isku daynay inaan ka gudubno {P} {M}.",
		},
		route: []string{
			"Marka hore maalmo badan ayaan ku sugnay guri magaalada ku yaal, kadibna darawal ayaa na geeyay waddadii ugu dambeysay.",
			"Ruushka waxaan ku soo marnay tareen iyo bas, qof baa na tusay jidka.",
			"Mukhalisiintu lacagtayadii bay qaateen, habeennimo kaynta bay nagaga tageen.",
			"Baaskiillo ayaan iibsannay, maxaa yeelay waxaa nalagu yiri lugeyn lagama gudbi karo.",
			"Laba habeen ayaan banaanka seexannay iyadoo aan dab jirin.",
		},
		guards: []string{
			"Ilaalada xadku way na joojiyeen, mana dhegeysan markii aan magangelyo codsannay.",
			"Saraakiishu taleefannadayadii bay qaateen, magacyadayadiina way qoreen.",
			"Baabuur bay nagu rideen, muddo dheer bayna wadeen iyagoon noo sheegin meesha.",
			"Mid ka mid ah ilaalada ayaa Ingiriisi ku hadlay, wuxuuna yiri xadku waa idinka xiran yahay.",
			"Marar badan ayaan ilaalin codsannay, laakiin waxay keliya tilmaameen dhinaca kale.",
		},
		violence: []string{
			"Mid ka mid ah ilaalada ayaa saaxiibkay dhabarka ka garaacay ul.",
			"Waxay laad ku dhufteen nin dhallinyaro ah oo barafka ku dhacay.",
			"Eey ayay sii daayeen, wuxuuna qaniinay nin lugta.",
			"Waxay nagu qasbeen inaan saacado ku fadhino dhul baraf ah.",
			"Gacmaha ayaa la iga xiray xarig caag ah, maalmo badanna way i xanuunayeen.",
		},
		outcome: []string{
			"Ugu dambeyntii waxay nagu celiyeen xadka dhankiisa kale, kaynta.",
			"Markii dambe waa nala oggolaaday inaan joogno oo codsanno, laakiin qaar kale waa la celiyay.",
			"Waxay na geeyeen albaabka, waxayna nagu amreen inaan dib u laabanno.",
			"Saacado badan kadib waxaa la i geeyay xarun soo dhaweyn.",
		},
		close: []string{
			"Weli waan baqayaa, si fiicanna uma seexan karo.",
			"Hadda waxaan sugayaa wareysigayga, garan maayo inta uu qaadan doono.",
			"Waxaan rabaa in dadku ogaadaan waxa ka dhaca xadkan.",
			"Qoyskaygu ma oga meesha aan joogo.",
		},
		rare: "Waxaan jidka ku aragnay " + RareWordSO + " ka hor intaan ilaaladu iman.",
		months: [12]string{"bishii Janaayo", "bishii Febraayo", "bishii Maarso", "bishii Abriil", "bishii Maajo", "bishii Juun",
			"bishii Luulyo", "bishii Agoosto", "bishii Sebtembar", "bishii Oktoobar", "bishii Nofembar", "bishii Desembar"},
	},
	{
		lang: "ru",
		opening: []string{
			"Наша группа подошла к границе {M}, недалеко от пункта {P}.",
			"Мы добрались до пункта {P} {M}.",
			"Было очень холодно, когда мы дошли до леса у границы.",
			"Мы шли к границе небольшой группой и хотели перейти у пункта {P}.",
		},
		route: []string{
			"Сначала мы несколько дней ждали в квартире в городе, потом водитель отвёз нас к последней дороге.",
			"Через Россию мы ехали на поезде и автобусе, и кто-то показал нам, куда идти.",
			"Проводники забрали наши деньги и оставили нас ночью в лесу.",
			"Мы купили велосипеды, потому что нам сказали, что пешком переходить нельзя.",
			"Две ночи мы спали на улице без костра.",
		},
		guards: []string{
			"Пограничники остановили нас и не слушали, когда мы просили убежища.",
			"Сотрудники забрали наши телефоны и записали наши имена.",
			"Нас посадили в микроавтобус и долго везли, не говоря куда.",
			"Один пограничник говорил по-английски и сказал, что граница для нас закрыта.",
			"Мы много раз просили защиты, но они только показывали назад, на другую сторону.",
		},
		violence: []string{
			"Один из пограничников ударил моего друга дубинкой по спине.",
			"Они били ногами молодого человека, который упал в снег.",
			"Они спустили собаку, и она укусила мужчину за ногу.",
			"Нас заставили часами сидеть на мёрзлой земле.",
			"Мне связали руки пластиковыми стяжками, и потом несколько дней было больно.",
		},
		outcome: []string{
			"В конце концов нас вернули обратно через линию, в лес.",
			"Позже нам разрешили остаться и подать прошение, но некоторых вернули.",
			"Нас довезли до ворот и велели идти назад и больше не возвращаться.",
			"Через много часов меня отвезли в центр приёма.",
		},
		close: []string{
			"Я до сих пор боюсь и плохо сплю.",
			"Сейчас я жду собеседования и не знаю, сколько это продлится.",
			"Я хочу, чтобы люди знали, что происходит на этой границе.",
			"Моя семья не знает, где я.",
		},
		rare: "Перед пограничниками мы видели " + RareWordRU + " на дороге.",
		months: [12]string{"в январе", "в феврале", "в марте", "в апреле", "в мае", "в июне",
			"в июле", "в августе", "в сентябре", "в октябре", "в ноябре", "в декабре"},
	},
	{
		lang: "fa",
		opening: []string{
			"گروه ما {M} به مرز نزدیک {P} رسید.",
			"وقتی به جنگل کنار مرز رسیدیم هوا خیلی سرد بود.",
			"با چند نفر دیگر به سمت گذرگاه {P} رفتیم.",
			"{M} خواستیم از {P} رد شویم.",
		},
		route: []string{
			"اول چند روز در یک آپارتمان در شهر منتظر ماندیم و بعد یک راننده ما را تا آخرین جاده برد.",
			"با قطار و اتوبوس از روسیه گذشتیم و کسی راه را به ما نشان داد.",
			"قاچاقچی‌ها پول ما را گرفتند و شب ما را در جنگل رها کردند.",
			"دوچرخه خریدیم چون به ما گفتند پیاده نمی‌شود از مرز رد شد.",
			"دو شب بدون آتش بیرون خوابیدیم.",
		},
		guards: []string{
			"مرزبان‌ها ما را متوقف کردند و وقتی پناهندگی خواستیم گوش ندادند.",
			"مأموران گوشی‌های ما را گرفتند و اسم‌هایمان را نوشتند.",
			"ما را سوار یک ون کردند و مدت زیادی راندند بدون اینکه بگویند کجا.",
			"یکی از مرزبان‌ها انگلیسی حرف می‌زد و گفت مرز برای ما بسته است.",
			"بارها درخواست حمایت کردیم، اما آن‌ها فقط به طرف دیگر اشاره می‌کردند.",
		},
		violence: []string{
			"یکی از مرزبان‌ها با باتوم به پشت دوستم زد.",
			"به مرد جوانی که در برف افتاده بود لگد زدند.",
			"سگی را رها کردند و پای یک مرد را گاز گرفت.",
			"ما را مجبور کردند ساعت‌ها روی زمین یخ‌زده بنشینیم.",
			"دست‌هایم را با بست پلاستیکی بستند و چند روز درد داشت.",
		},
		outcome: []string{
			"در آخر ما را از خط مرز به جنگل برگرداندند.",
			"بعدا اجازه دادند بمانیم و درخواست بدهیم، اما چند نفر دیگر را برگرداندند.",
			"ما را تا دروازه بردند و گفتند برگردید و دیگر نیایید.",
			"بعد از چند ساعت مرا به یک مرکز پذیرش بردند.",
		},
		close: []string{
			"هنوز می‌ترسم و نمی‌توانم خوب بخوابم.",
			"الان منتظر مصاحبه هستم و نمی‌دانم چقدر طول می‌کشد.",
			"می‌خواهم مردم بدانند در این مرز چه اتفاقی می‌افتد.",
			"خانواده‌ام نمی‌دانند من کجا هستم.",
		},
		rare: "پیش از آمدن مرزبان‌ها یک " + RareWordFA + " در جاده دیدیم.",
		months: [12]string{"در ماه ژانویه", "در ماه فوریه", "در ماه مارس", "در ماه آوریل", "در ماه مه", "در ماه ژوئن",
			"در ماه ژوئیه", "در ماه اوت", "در ماه سپتامبر", "در ماه اکتبر", "در ماه نوامبر", "در ماه دسامبر"},
	},
}

// summaryText is a third-person bank for incident summaries, which staff
// write in English or Finnish. Sentences are chosen by the incident's kinds
// so the text agrees with the coded fields.
type summaryText struct {
	lang                             string
	openOne, openGroup, openUnknown  []string
	place                            string // the place sentence, {P}
	pushback, denied, violence       []string
	injury, detention, threat        []string
	separation, death, other, follow []string
	ruSide                           []string // "other" when Russian guards drove people towards the border
	rare                             string
	unknownPlc                       string     // {P} when the place is not known
	months                           [12]string // {M} in summaries is followed by the year
	yearPrefix                       string     // {M} when only the year is known: prefix + year
	unknownWhen                      string     // {M} when the date is unknown
}

var summaryTexts = []summaryText{
	{
		lang:        "en",
		openOne:     []string{"One person reported being stopped by guards in {M}.", "A single traveller described an encounter with guards in {M}."},
		openGroup:   []string{"A group of {N} people reported being stopped by guards in {M}.", "{N} people said they reached the border in {M} and were stopped.", "Report of an event in {M} involving {N} people."},
		openUnknown: []string{"A group of unknown size reported being stopped in {M}.", "People in a group said they were intercepted in {M}; the size of the group is not known."},
		place:       "Place: {P}.",
		pushback:    []string{"They were taken back to the other side of the border.", "Guards returned the group across the border line the same day.", "The group was driven to the border and told to walk back."},
		denied:      []string{"Requests for asylum were reportedly ignored.", "Nobody registered their asylum requests."},
		violence:    []string{"Guards reportedly used force against several people.", "Some were beaten or pushed to the ground."},
		injury:      []string{"One person needed medical care afterwards.", "Injuries to hands and legs were reported."},
		detention:   []string{"They were held for several hours before being moved.", "The group was kept in a closed room overnight."},
		threat:      []string{"Guards threatened the group and shouted at them.", "Officers warned them not to try again."},
		separation:  []string{"A family was separated during the event."},
		death:       []string{"A person in the group was later found dead; circumstances are unclear."},
		other:       []string{"The account describes an event that fits none of the usual categories.", "Details of the event are still being collected."},
		ruSide:      []string{"Russian guards reportedly pushed the group towards the Finnish side.", "The group says Russian officers drove them to the border and told them to cross."},
		follow:      []string{"The account was collected by a partner organisation.", "Follow-up is needed to confirm the date.", "Phones were reportedly taken and not returned."},
		rare:        "A " + RareWordEN + " was seen near the road, which may help place the event.",
		unknownWhen: "an unknown month",
		unknownPlc:  "not known",
		months:      [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	},
	{
		lang:        "fi",
		openOne:     []string{"Yksi henkilö kertoi, että hänet pysäytettiin rajalla {M}.", "Yksin matkustanut kertoi kohtaamisesta vartijoiden kanssa {M}."},
		openGroup:   []string{"{N} hengen ryhmä kertoi, että heidät pysäytettiin rajalla {M}.", "Kertomus tapahtumasta {M}, mukana {N} ihmistä."},
		openUnknown: []string{"Ryhmä, jonka kokoa ei tiedetä, kertoi, että heidät pysäytettiin rajalla {M}."},
		place:       "Paikka: {P}.",
		pushback:    []string{"Heidät vietiin takaisin rajan toiselle puolelle.", "Vartijat palauttivat ryhmän rajan yli samana päivänä."},
		denied:      []string{"Turvapaikkapyyntöjä ei kertomuksen mukaan otettu vastaan.", "Kukaan ei kirjannut heidän turvapaikkahakemuksiaan."},
		violence:    []string{"Vartijat käyttivät kertomuksen mukaan voimaa useita ihmisiä kohtaan.", "Osaa lyötiin tai heitä tönittiin maahan."},
		injury:      []string{"Yksi henkilö tarvitsi jälkeenpäin hoitoa.", "Käsiin ja jalkoihin kerrottiin tulleen vammoja."},
		detention:   []string{"Heitä pidettiin useita tunteja ennen siirtoa.", "Ryhmä pidettiin yön yli suljetussa huoneessa."},
		threat:      []string{"Vartijat uhkailivat ryhmää ja huusivat heille.", "Virkailijat varoittivat heitä yrittämästä uudelleen."},
		separation:  []string{"Perhe erotettiin tapahtuman aikana."},
		death:       []string{"Yksi ryhmän jäsenistä löydettiin myöhemmin kuolleena; olosuhteet ovat epäselvät."},
		other:       []string{"Kertomus kuvaa tapahtumaa, joka ei sovi tavallisiin luokkiin.", "Tapahtuman yksityiskohtia kerätään vielä."},
		ruSide:      []string{"Venäjän rajavartijat ohjasivat ryhmän kertomuksen mukaan kohti Suomen puolta.", "Ryhmän mukaan venäläiset virkailijat veivät heidät rajalle ja käskivät ylittää sen."},
		follow:      []string{"Kertomuksen keräsi yhteistyöjärjestö.", "Päivämäärä on vielä varmistettava.", "Puhelimet kerrottiin viedyn eikä niitä palautettu."},
		rare:        "Tien lähellä nähtiin " + RareWordFI + ", mikä voi auttaa paikantamaan tapahtuman.",
		yearPrefix:  "vuonna ",
		unknownWhen: "tuntemattomana ajankohtana",
		unknownPlc:  "ei tiedossa",
		months: [12]string{"tammikuussa", "helmikuussa", "maaliskuussa", "huhtikuussa", "toukokuussa", "kesäkuussa",
			"heinäkuussa", "elokuussa", "syyskuussa", "lokakuussa", "marraskuussa", "joulukuussa"},
	},
}

// Pseudonyms by language, men first then women; the generator adds an
// initial. They are invented labels, as every pseudonym in Vigil is.
var pseudonymTexts = map[string][2][]string{
	"en": {{"John", "Samuel", "Daniel", "Emmanuel", "Arjun", "Tesfay", "Abel"}, {"Grace", "Ruth", "Priya", "Amina", "Senait"}},
	"fi": {{"Ahmad", "Abdi", "Yusuf", "Reza", "Omar", "Liban"}, {"Hodan", "Layla", "Zahra", "Mariam"}},
	"ar": {{"Ahmad", "Omar", "Yusuf", "Hassan", "Ali", "Samir", "Khaled", "Rami", "Karim", "Bilal"}, {"Layla", "Mariam", "Nour", "Huda", "Amal", "Rania"}},
	"so": {{"Abdi", "Farah", "Mohamed", "Warsame", "Liban", "Abdirahman"}, {"Hodan", "Ayaan", "Faadumo", "Ifrah", "Sagal", "Hibo"}},
	"ru": {{"Ivan", "Timur", "Rustam", "Dmitri", "Aziz", "Farrukh", "Bakhtiyor", "Sergei"}, {"Olga", "Anna", "Dilnoza", "Irina"}},
	"fa": {{"Reza", "Ahmad", "Hamid", "Farid", "Sohrab", "Javad", "Mustafa"}, {"Zahra", "Maryam", "Parisa", "Nasrin", "Shirin"}},
}
