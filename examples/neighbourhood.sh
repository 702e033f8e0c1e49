#!/usr/bin/env bash
# neighbourhood.sh - load a small, fictional Rotterdam-Zuid neighbourhood into a
# buurt node: two areas (Feijenoord and Afrikaanderwijk), 30 places, 3 coalitions,
# 22 needs, 20 offers and 2 bulletins.
#
# usage: bash examples/neighbourhood.sh --home DIR [--buurt PATH] [--node NAME] [--force]
#
#   --home DIR     an initialised buurt home (`buurt --home DIR init --name NAME`)
#   --buurt PATH   the buurt binary (default: build/buurt next to this script's
#                  repository, else `buurt` on $PATH)
#   --node NAME    which subset to load (default: all):
#
#     kroon        Buurthuis De Kroon and the Feijenoord organisations it works
#                  with: 11 places (community centre, youth work, school, childcare,
#                  residents' group, GP, boxing club, square, Turkish coffee house,
#                  social work team, neighbourhood app group), the coalition
#                  "Feijenoord Zorgt" with its 6 Feijenoord members, 6 offers,
#                  8 needs (Feijenoord).
#     bibliotheek  Bibliotheek Afrikaanderwijk and the Afrikaanderwijk organisations
#                  it works with: 11 places (library, language house, food bank,
#                  market, park, school, health centre, welfare rights advice,
#                  playgroup, the Polish and the Bulgarian/Romanian information
#                  points that meet in the library), the coalition "Digitaal Zuid
#                  Verbonden" with its 6 members, 7 offers, 8 needs (Afrikaanderwijk)
#                  and the 2 bulletins (the second replaces the first).
#     moskee       Moskee Mevlana and the faith and migrant organisations of both
#                  areas: 8 places, the coalition "Levensbeschouwelijk Netwerk Zuid"
#                  with its 6 members, 7 offers, 6 needs.
#     all          the three subsets above plus the records that tie them together:
#                  coalition members from another subset (8 memberships) and needs
#                  claimed by a provider from another subset (2 claims).
#
# Every record references only ids created by the same run, and a subset only
# references ids of its own subset, so the three subsets can be loaded on three
# different nodes and merged by syncing. Needs describe WHAT is needed, never
# who needs it: no names, phone numbers or addresses of residents. All
# organisations, house numbers and contacts are fictional (.example domains,
# phone numbers that cannot exist).
#
# --force loads even if the subset's main place is already on the node (which
# would create duplicates).

# Record ids are assigned by new() through printf -v, which shellcheck cannot see.
# shellcheck disable=SC2154
set -euo pipefail

prog=neighbourhood.sh
die() { echo "$prog: $*" >&2; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home_dir=
buurt_bin=
node=all
force=0

while [ $# -gt 0 ]; do
    case $1 in
        --home)    [ $# -ge 2 ] || die "--home needs a directory"; home_dir=$2; shift 2 ;;
        --home=*)  home_dir=${1#*=}; shift ;;
        --buurt)   [ $# -ge 2 ] || die "--buurt needs a path"; buurt_bin=$2; shift 2 ;;
        --buurt=*) buurt_bin=${1#*=}; shift ;;
        --node)    [ $# -ge 2 ] || die "--node needs one of: all, kroon, bibliotheek, moskee"; node=$2; shift 2 ;;
        --node=*)  node=${1#*=}; shift ;;
        --force)   force=1; shift ;;
        -h|--help)
            echo "usage: bash examples/neighbourhood.sh --home DIR [--buurt PATH] [--node all|kroon|bibliotheek|moskee] [--force]"
            echo "Loads a fictional Rotterdam-Zuid neighbourhood into an initialised buurt home."
            echo "See the comment at the top of this script for what each --node subset holds."
            exit 0 ;;
        *) die "unknown argument '$1'; see --help" ;;
    esac
done

[ -n "$home_dir" ] || die "--home DIR is required (an initialised buurt home); see --help"
case $node in
    all|kroon|bibliotheek|moskee) ;;
    *) die "--node must be one of: all, kroon, bibliotheek, moskee (got '$node')" ;;
esac
if [ -z "$buurt_bin" ]; then
    if [ -x "$here/../build/buurt" ]; then
        buurt_bin=$(cd "$here/.." && pwd)/build/buurt
    elif command -v buurt >/dev/null 2>&1; then
        buurt_bin=$(command -v buurt)
    else
        die "no buurt binary: run 'make all' or pass --buurt PATH"
    fi
fi
[ -x "$buurt_bin" ] || die "$buurt_bin is not an executable buurt binary"
"$buurt_bin" --home "$home_dir" id >/dev/null 2>&1 \
    || die "$home_dir is not an initialised buurt home; run: $buurt_bin --home $home_dir init --name NAME"

bu() { "$buurt_bin" --home "$home_dir" "$@"; }

n_place=0 n_coalition=0 n_need=0 n_offer=0 n_bulletin=0

# what ARGS...: the name, summary or title in a buurt command line, for messages
what() {
    while [ $# -gt 1 ]; do
        case $1 in --name|--summary|--title) echo "'$2'"; return ;; esac
        shift
    done
}
# failed CMD ARGS...: stop, naming the command and the line of this script
failed() {
    local w
    w=$(what "$@")
    die "line ${BASH_LINENO[1]}: buurt $1 $2${w:+ $w} failed (see the message above)"
}

# new VAR TYPE ARGS...: run `buurt TYPE add ARGS...`, store the printed id in VAR.
new() {
    local var=$1 type=$2 id
    shift 2
    id=$(bu "$type" add "$@") || failed "$type" add "$@"
    [[ $id =~ ^[0-9a-f]{64}$ ]] || die "buurt $type add printed '$id', expected an id"
    printf -v "$var" %s "$id"
    case $type in
        place) n_place=$((n_place + 1)) ;;
        coalition) n_coalition=$((n_coalition + 1)) ;;
        need) n_need=$((n_need + 1)) ;;
        offer) n_offer=$((n_offer + 1)) ;;
        bulletin) n_bulletin=$((n_bulletin + 1)) ;;
    esac
}
member() { bu coalition member "$@" >/dev/null || failed coalition member "$@"; }  # CID PLACE --role R [--reaches G]
claim()  { bu need claim "$1" --by "$2" >/dev/null || failed need claim "$1"; }
mark_done() { bu need "done" "$1" >/dev/null || failed need "done" "$1"; }

want() { [ "$node" = all ] || [ "$node" = "$1" ]; }

# Refuse to load a subset twice (it would duplicate every record).
already() {
    bu list places --json | grep -qF "\"name\":\"$1\""
}
if [ "$force" = 0 ]; then
    for anchor in "kroon:Buurthuis De Kroon" "bibliotheek:Bibliotheek Afrikaanderwijk" "moskee:Moskee Mevlana"; do
        if want "${anchor%%:*}" && already "${anchor#*:}"; then
            die "$home_dir already has '${anchor#*:}'; loading again would duplicate it (use --force to load anyway)"
        fi
    done
fi

F=Feijenoord
A=Afrikaanderwijk

# --------------------------------------------------------------------------
# kroon: Buurthuis De Kroon and Feijenoord
# --------------------------------------------------------------------------
if want kroon; then
    new kroon place --name "Buurthuis De Kroon" --kind community-centre \
        --address "Oranjeboomstraat 114" --area $F --lat 51.9055 --lon 4.4945 \
        --lang nl,tr,ar,en --hours "Mon-Fri 9:00-21:00, Sat 10:00-14:00" \
        --access "step-free entrance, accessible toilet" \
        --functions inform,signal,connect,mobilise,serve \
        --contact "info@dekroon.example, 010 000 1101" \
        --status alternative --note "closed; help by phone and doorstep" --capacity 25 \
        --channels phone,doorstep,intercom \
        --reaches "older Turkish migrants,single parents,isolated elderly" --hub
    new jongerenwerk place --name "Jongerenwerk Feijenoord" --kind social-work \
        --address "Rosestraat 210" --area $F --lang nl,ar,tr,so \
        --hours "Mon-Sat 13:00-22:00" --functions signal,connect,serve \
        --contact "jongerenwerk-feijenoord@welzijn-zuid.example" \
        --status limited --note "no open club nights; youth workers out on the street" \
        --capacity 12 --channels phone,outdoor --reaches "youth,young carers"
    new globe place --name "Basisschool De Globe" --kind school \
        --address "Stieltjesstraat 40" --area $F --lang nl,tr,ar \
        --hours "Mon-Fri 8:30-15:00" --functions inform,signal \
        --contact "info@globe-school.example" \
        --status limited --note "parents' room open Tue and Thu mornings only" \
        --channels phone,doorstep --reaches "parents of pupils,single parents"
    new nest place --name "Kinderopvang Het Nest" --kind childcare \
        --address "Nassauhaven 31" --area $F --lang nl,en \
        --functions serve --contact "hetnest@kinderopvang.example" \
        --status closed --note "closed until further notice; emergency care via the school"
    new nassau place --name "Bewonersgroep Nassauhaven" --kind residents-group \
        --address "Nassauhaven 4, meeting room" --area $F --lang nl,pl,en \
        --functions signal,connect,mobilise --contact "bewoners-nassauhaven@mail.example" \
        --status open --channels intercom,doorstep \
        --reaches "residents of the Nassauhaven flats,labour migrants"
    new huisarts place --name "Huisartsenpraktijk Feijenoord" --kind health \
        --address "Roentgenstraat 8" --area $F --lang nl,en,tr,ar \
        --hours "Mon-Fri 8:00-17:00" --access "ground floor, wheelchair accessible" \
        --functions signal,serve --contact "010 000 1108 (practice line)" \
        --status limited --note "phone first; no walk-in consultations" \
        --channels phone --reaches "older residents,chronically ill"
    new boks place --name "Boksschool Feijenoord" --kind sports \
        --address "Persoonshaven 60" --area $F --lang nl,ar,tr \
        --hours "Mon-Fri 16:00-21:00" --functions connect \
        --status alternative --note "training outdoors on the Stieltjesplein, groups of 8" \
        --capacity 8 --channels outdoor --reaches "youth"
    new stieltjes place --name "Stieltjesplein" --kind park-public-space \
        --address "Stieltjesplein" --area $F --functions connect \
        --status open --channels outdoor --reaches "youth,families with young children"
    new kahve place --name "Kahvehane Anadolu" --kind shop-cafe-market \
        --address "Oranjeboomstraat 57" --area $F --lang tr,nl \
        --hours "daily 10:00-22:00" --functions inform,signal \
        --status limited --note "take-away tea only; notices in the window" \
        --channels doorstep,outdoor --reaches "older Turkish men"
    new wijkteam place --name "Wijkteam Feijenoord" --kind social-work \
        --address "Oranjeboomstraat 114 (in De Kroon)" --area $F \
        --lang nl,tr,ar,en,pl --hours "Mon-Fri 9:00-17:00" \
        --functions signal,connect,serve --contact "wijkteam-feijenoord@gemeente.example" \
        --status alternative --note "no walk-in; call back within a day, home visits if urgent" \
        --channels phone,doorstep --reaches "families with debts,isolated elderly"
    new appgroep place --name "Feijenoord Helpt (buurtapp)" --kind online \
        --area $F --lang nl,tr,ar,en --functions inform,connect,mobilise \
        --contact "join via the notice at Buurthuis De Kroon" \
        --status open --reaches "working parents,young adults,volunteers"

    new c_feijenoord coalition --name "Feijenoord Zorgt" \
        --purpose "one intake for food, contact and errands for residents who stay home; partners split the work" \
        --area $F --functions mobilise,connect,serve \
        --contact "feijenoordzorgt@dekroon.example"
    member "$c_feijenoord" "$kroon" --role lead --reaches "older Turkish migrants,single parents"
    member "$c_feijenoord" "$wijkteam" --role coordinate --reaches "families with debts,isolated elderly"
    member "$c_feijenoord" "$jongerenwerk" --role provide --reaches "youth"
    member "$c_feijenoord" "$nassau" --role provide --reaches "labour migrants,residents of the Nassauhaven flats"
    member "$c_feijenoord" "$kahve" --role facilitate --reaches "older Turkish men"
    member "$c_feijenoord" "$huisarts" --role facilitate --reaches "chronically ill"

    new o_kroon offer --provider "$kroon" --category food,contact --area $F \
        --lang nl,tr,ar --capacity 15 --until 14d \
        --note "warm meal at the door Tue and Thu; weekly phone round"
    new o_jongerenwerk offer --provider "$jongerenwerk" --category errands --area $F \
        --lang nl,ar,tr,so --capacity 10 --until 14d \
        --note "youth workers deliver groceries and medicine by cargo bike"
    new o_wijkteam offer --provider "$wijkteam" --category money,safety --area $F \
        --lang nl,tr,ar,en --capacity 6 --until 14d \
        --note "debts, rent arrears, worries about safety at home"
    new o_nassau offer --provider "$nassau" --category contact,errands --area $F \
        --lang nl,pl,en --capacity 8 --until 7d \
        --note "buddy calls and shopping for neighbours in the flats"
    new o_feijenoord offer --provider "$c_feijenoord" --category food,errands,contact --area $F \
        --lang nl,tr,ar,en --capacity 30 --until 14d \
        --note "one intake, the coalition finds the partner"
    new o_huisarts offer --provider "$huisarts" --category health --area $F \
        --lang nl,en,tr --capacity 4 --until 7d \
        --note "phone consultation; medication brought round with the youth workers"

    new n_meals need --category food --area $F --lang tr,nl --urgency high --people 6 \
        --summary "Warm meals for older Turkish-speaking residents who cannot go out and cannot cook"
    new n_quarantine need --category errands --area $F --lang nl,pl --urgency high --people 4 --expires 7d \
        --summary "Groceries and medicine picked up for households in quarantine in a flat block"
    new n_calls need --category contact --area $F --lang nl,tr --people 10 --coalition "$c_feijenoord" \
        --summary "Regular phone calls for isolated older residents who have not spoken to anyone for a week"
    new n_homework need --category childcare --area $F --lang nl,ar --people 8 \
        --summary "A quiet place with a working laptop for primary-school children to do homework"
    new n_light need --category safety --area $F --lang nl --urgency low --people 20 \
        --summary "Broken stairwell lighting in a flat block; older residents avoid going out after dark"
    new n_vaccin need --category health --area $F --lang tr,ar --people 12 \
        --summary "Explanation by phone of how to make a vaccination appointment, in Turkish and Arabic"
    new n_rent need --category money --area $F --lang nl,ar --people 3 \
        --summary "Help answering rent arrears letters for families who lost cleaning work"
    new n_youthinfo need --category information --area $F --lang nl --urgency low --people 20 \
        --summary "Current measures explained in plain Dutch to young people who meet on the square"

    claim "$n_quarantine" "$o_nassau"
    claim "$n_rent" "$o_wijkteam"
    claim "$n_light" "$o_wijkteam"; mark_done "$n_light"
    claim "$n_youthinfo" "$o_jongerenwerk"; mark_done "$n_youthinfo"
fi

# --------------------------------------------------------------------------
# bibliotheek: Bibliotheek Afrikaanderwijk and Afrikaanderwijk
# --------------------------------------------------------------------------
if want bibliotheek; then
    new bieb place --name "Bibliotheek Afrikaanderwijk" --kind library \
        --address "Putselaan 20" --area $A --lat 51.8965 --lon 4.4990 \
        --lang nl,ar,tr,en,pl --hours "Tue-Sat 10:00-17:00" \
        --access "step-free, lift to first floor" \
        --functions inform,connect,serve --contact "afrikaanderwijk@bibliotheek-zuid.example" \
        --status limited --note "digital help by appointment; books via pick-up at the door" \
        --capacity 12 --channels phone,doorstep \
        --reaches "older residents without internet,newcomers,pupils without a laptop" --hub
    new taalhuis place --name "Taalhuis Zuid" --kind other \
        --address "Putselaan 20 (in the library)" --area $A --lang nl,ar,ti,so,en \
        --functions inform,connect --contact "taalhuis-zuid@bibliotheek-zuid.example" \
        --status alternative --note "language cafe by phone and WhatsApp video" \
        --channels phone --reaches "newcomers,status holders,women learning Dutch"
    new voedselbank place --name "Voedselbank Zuid uitgiftepunt" --kind food \
        --address "Paul Krugerstraat 150" --area $A --lang nl,en \
        --hours "Fri 13:00-16:00" --functions serve \
        --contact "uitgifte-afrikaanderwijk@voedselbank-zuid.example" \
        --status overloaded --note "no new intakes this week; referrals via the social work team" \
        --capacity 0 --channels doorstep --reaches "families on minimum income"
    new markt place --name "Afrikaandermarkt" --kind shop-cafe-market \
        --address "Afrikaanderplein" --area $A --lang nl,tr,ar,pl,bg \
        --hours "Wed and Sat 8:00-17:00" --functions inform,connect \
        --status limited --note "fewer stalls, one-way walking route" \
        --channels outdoor --reaches "market traders,labour migrants,older residents"
    new park place --name "Afrikaanderpark" --kind park-public-space \
        --address "Afrikaanderplein" --area $A --functions connect \
        --status open --channels outdoor --reaches "families with young children,youth"
    new afrschool place --name "Basisschool Afrikaander" --kind school \
        --address "De Wetstraat 22" --area $A --lang nl,ar,tr \
        --hours "Mon-Fri 8:30-15:00" --functions inform,signal,serve \
        --contact "info@afrikaander-school.example" \
        --status alternative --note "lessons online; laptops on loan via the library" \
        --channels phone,doorstep --reaches "parents of pupils,pupils without a laptop"
    new gezondheid place --name "Gezondheidscentrum Zuid" --kind health \
        --address "Riebeeckstraat 5" --area $A --lang nl,ar,tr,en \
        --hours "Mon-Fri 8:00-17:00" --access "wheelchair accessible" \
        --functions signal,serve --contact "010 000 1207 (appointments)" \
        --status open --channels phone --reaches "young mothers,older residents"
    new raadslieden place --name "Sociaal Raadslieden Zuid" --kind social-work \
        --address "Brede Hilledijk 95" --area $A --lang nl,ar,tr,en \
        --hours "Mon-Thu 9:00-16:00" --functions connect,serve \
        --contact "raadslieden-zuid@gemeente.example" \
        --status alternative --note "phone consultations only; documents via the letterbox" \
        --channels phone,doorstep --reaches "families with debts,self-employed"
    new peuters place --name "Peuterspeelzaal Kleine Wereld" --kind childcare \
        --address "Bloemfonteinstraat 17" --area $A --lang nl,ar,tr \
        --functions serve --status closed --note "closed; staff call the parents weekly" \
        --channels phone --reaches "parents of toddlers"
    new pools place --name "Pools Informatiepunt Zuid" --kind migrant-organisation \
        --address "Putselaan 20 (Thursdays in the library)" --area $A --lang pl,nl,en \
        --hours "Thu 17:00-20:00" --functions inform,signal,connect \
        --contact "info@pools-informatiepunt.example" \
        --status open --channels phone --reaches "labour migrants,Polish families"
    new huiskamer place --name "Bulgaars-Roemeense Huiskamer" --kind migrant-organisation \
        --address "Putselaan 20 (Saturdays in the library)" --area $A --lang bg,ro,nl \
        --hours "Sat 11:00-15:00" --functions inform,connect \
        --status limited --note "meets in small groups; help via the WhatsApp group" \
        --channels phone --reaches "labour migrants,Bulgarian and Romanian families"

    new c_digitaal coalition --name "Digitaal Zuid Verbonden" \
        --purpose "laptops, digital help and translation so residents can follow online school, benefit forms and health information" \
        --area $A --functions inform,connect,serve \
        --contact "digitaal-zuid@bibliotheek-zuid.example"
    member "$c_digitaal" "$bieb" --role lead --reaches "older residents without internet,newcomers"
    member "$c_digitaal" "$taalhuis" --role coordinate --reaches "newcomers,status holders"
    member "$c_digitaal" "$afrschool" --role provide --reaches "parents of pupils"
    member "$c_digitaal" "$raadslieden" --role provide --reaches "families with debts"
    member "$c_digitaal" "$pools" --role facilitate --reaches "labour migrants"
    member "$c_digitaal" "$huiskamer" --role facilitate --reaches "labour migrants"

    new o_bieb offer --provider "$bieb" --category digital,information --area $A \
        --lang nl,ar,tr,en,pl --capacity 12 --until 14d \
        --note "laptop loan, help with DigiD and video calls, by appointment"
    new o_taalhuis offer --provider "$taalhuis" --category information --area $A \
        --lang nl,ar,ti,so,en --capacity 10 --until 14d \
        --note "translate letters from school and municipality"
    new o_raadslieden offer --provider "$raadslieden" --category money --area $A \
        --lang nl,ar,tr,en --capacity 5 --until 14d \
        --note "benefit forms, debts and rent arrears by phone"
    new o_voedselbank offer --provider "$voedselbank" --category food --area $A \
        --lang nl,en --capacity 0 --until 7d \
        --note "full this week; new referrals go on the waiting list"
    new o_afrschool offer --provider "$afrschool" --category childcare --area $A \
        --lang nl,ar,tr --capacity 15 --until 14d \
        --note "emergency care for children of key workers; homework help by video"
    new o_pools offer --provider "$pools" --category information,money --area $A \
        --lang pl,nl,en --capacity 8 --until 14d \
        --note "rules on work, housing and sick pay explained"
    new o_digitaal offer --provider "$c_digitaal" --category digital --area $A \
        --lang nl,ar,tr,pl,en,bg,ro --capacity 25 --until 14d \
        --note "one request, the coalition sends a helper who speaks the language"

    new n_laptops need --category digital --area $A --lang nl,ar,tr --urgency critical --people 14 \
        --summary "Laptops for pupils without a computer at home so they can follow online lessons"
    new n_digid need --category digital --area $A --lang nl,tr,ar --people 7 \
        --summary "Help setting up DigiD and video calls for older residents"
    new n_schoolletter need --category information --area $A --lang ar,ti,so --urgency high --people 30 \
        --summary "Translation of the school letter about remote lessons into Arabic, Tigrinya and Somali"
    new n_tozo need --category money --area $A --lang nl,tr,bg --urgency high --people 5 \
        --summary "Help applying for the emergency allowance for self-employed market traders"
    new n_parcels need --category food --area $A --lang nl,ar,en --urgency critical --people 9 --expires 48h \
        --summary "Food parcels for families waiting for a food bank intake"
    new n_sickpay need --category information --area $A --lang pl,bg,ro --urgency high --people 25 \
        --summary "Information in Polish, Bulgarian and Romanian about sick pay and quarantine rules"
    new n_nightcare need --category childcare --area $A --lang nl --people 2 \
        --summary "Childcare during night shifts for single parents working in elderly care"
    new n_shelter need --category shelter --area $A --lang pl,ro,bg --urgency critical --people 3 --expires 48h \
        --summary "Temporary place to sleep for workers who lost their job and their housing at once"

    claim "$n_laptops" "$o_bieb"
    claim "$n_sickpay" "$o_pools"
    claim "$n_schoolletter" "$o_taalhuis"; mark_done "$n_schoolletter"

    new b_test1 bulletin --title "Test bus on the Afrikaanderplein, Mon-Fri 9-16" \
        --body "The GGD test bus stands on the Afrikaanderplein on weekdays from 9:00 to 16:00. No appointment needed; bring an ID card." \
        --lang nl,en,tr,ar --source "GGD Rotterdam-Rijnmond, checked by Bibliotheek Afrikaanderwijk"
    new b_test2 bulletin --title "Test bus moves to the Putselaan, Mon-Sat 9-17" \
        --body "From Monday the GGD test bus stands on the Putselaan by the library, Monday to Saturday 9:00-17:00. Book by phone via the number in the GGD letter; library staff can help." \
        --lang nl,en,tr,ar --source "GGD Rotterdam-Rijnmond, checked by Bibliotheek Afrikaanderwijk" \
        --replaces "$b_test1"
fi

# --------------------------------------------------------------------------
# moskee: Moskee Mevlana and the faith and migrant organisations
# --------------------------------------------------------------------------
if want moskee; then
    new mevlana place --name "Moskee Mevlana" --kind religious \
        --address "Hillevliet 80" --area $F --lat 51.9008 --lon 4.5031 \
        --lang tr,nl,ar --hours "daily; office Mon-Fri 10:00-16:00" \
        --functions inform,signal,connect,mobilise,serve --contact "info@mevlana-zuid.example" \
        --status limited --note "prayers in small groups; food parcels on Fridays" \
        --capacity 40 --channels phone,doorstep,outdoor \
        --reaches "older Turkish migrants,Turkish families" --hub
    new nasr place --name "Moskee En-Nasr" --kind religious \
        --address "Joubertstraat 33" --area $A --lang ar,nl \
        --functions inform,connect,serve --contact "bestuur@en-nasr.example" \
        --status alternative --note "closed for prayers; help desk by phone after Asr" \
        --channels phone,doorstep --reaches "older Moroccan men,Moroccan families"
    new pastoraat place --name "Buurtpastoraat Feijenoord" --kind religious,social-work \
        --address "Oranjeboomstraat 200" --area $F --lang nl,en,es,pt \
        --functions signal,connect,serve --contact "pastoraat@kerkzuid.example" \
        --status open --channels phone,doorstep \
        --reaches "isolated elderly,undocumented migrants,Cape Verdean families"
    new nieuwleven place --name "Pinkstergemeente Nieuw Leven" --kind religious \
        --address "Brede Hilledijk 230" --area $A --lang en,nl,pt,es \
        --functions inform,connect --status closed \
        --note "services online only; the pastor calls members" \
        --channels phone --reaches "African and Latin American families"
    new somali place --name "Somalische Vrouwen Zuid" --kind migrant-organisation \
        --address "Pretorialaan 70" --area $A --lang so,nl,en \
        --functions signal,connect,serve --contact "info@somalische-vrouwen.example" \
        --status limited --note "walk-in Tuesday only; otherwise by phone" \
        --channels phone,doorstep --reaches "Somali women,young mothers"
    new eritrea place --name "Eritrese Gemeenschap Zuid" --kind migrant-organisation \
        --address "Pretorialaan 70 (shared room)" --area $A --lang ti,nl,en \
        --functions inform,connect --status open --channels phone \
        --reaches "newcomers from Eritrea,status holders"
    new turkse place --name "Turkse Ouderenvereniging Zuid" --kind migrant-organisation \
        --address "Hillevliet 82" --area $F --lang tr,nl \
        --functions connect,signal --status alternative \
        --note "club room closed; volunteers call every member weekly" \
        --channels phone --reaches "older Turkish migrants"
    new chinees place --name "Chinese Ouderensoos Zuid" --kind migrant-organisation \
        --area $A --lang zh,nl --functions inform,connect \
        --status limited --note "meets online; tablet help at home for members" \
        --reaches "older Chinese residents"

    new c_netwerk coalition --name "Levensbeschouwelijk Netwerk Zuid" \
        --purpose "reach residents the municipality does not reach: translated information, food and home visits through trusted communities" \
        --area $F --functions inform,signal,connect,mobilise \
        --contact "netwerk-zuid@mevlana-zuid.example"
    member "$c_netwerk" "$mevlana" --role coordinate --reaches "older Turkish migrants,Turkish families"
    member "$c_netwerk" "$pastoraat" --role lead --reaches "undocumented migrants,isolated elderly"
    member "$c_netwerk" "$nasr" --role provide --reaches "older Moroccan men"
    member "$c_netwerk" "$somali" --role provide --reaches "Somali women"
    member "$c_netwerk" "$eritrea" --role facilitate --reaches "newcomers from Eritrea"
    member "$c_netwerk" "$turkse" --role facilitate --reaches "older Turkish migrants"

    new o_mevlana offer --provider "$mevlana" --category food,errands --area $F \
        --lang tr,nl,ar --capacity 40 --until 14d \
        --note "Friday food parcels; volunteers deliver halal groceries"
    new o_nasr offer --provider "$nasr" --category food,contact --area $A \
        --lang ar,nl --capacity 20 --until 14d \
        --note "meals and calls for members who stay home"
    new o_somali offer --provider "$somali" --category contact,information,health --area $A \
        --lang so,nl,en --capacity 12 --until 14d \
        --note "accompany women to appointments and translate"
    new o_eritrea offer --provider "$eritrea" --category information,contact --area $A \
        --lang ti,nl,en --capacity 10 --until 14d \
        --note "read and explain official letters in Tigrinya"
    new o_pastoraat offer --provider "$pastoraat" --category contact,shelter --area $F \
        --lang nl,en,es,pt --capacity 3 --until 7d \
        --note "home visits; a few emergency beds via a partner church"
    new o_turkse offer --provider "$turkse" --category contact --area $F \
        --lang tr,nl --capacity 25 --until 14d \
        --note "weekly phone round for older members and their neighbours"
    new o_netwerk offer --provider "$c_netwerk" --category information --area $F \
        --lang tr,ar,so,ti,nl,en --capacity 50 --until 14d \
        --note "translated bulletins read out after prayers and services"

    new n_halal need --category food --area $F --lang tr,ar --urgency high --people 12 \
        --summary "Halal food parcels for families in quarantine"
    new n_visits need --category contact --area $A --lang ar,nl --people 8 \
        --summary "Home visits or calls for older Moroccan men who live alone"
    new n_tigrinya need --category information --area $A --lang ti --people 15 \
        --summary "Health information read out in Tigrinya for newcomers who cannot read the Dutch letters"
    new n_accompany need --category health --area $A --lang so,nl --people 4 \
        --summary "Someone to go along to the child health clinic and translate into Somali"
    new n_dialysis need --category errands --area $F --lang tr,nl --urgency high --people 2 \
        --summary "Transport to the hospital for dialysis appointments while taxis are scarce"
    new n_mourning need --category contact --area $F --lang tr,ar --urgency low --people 6 \
        --summary "Mourning support by phone for families who cannot gather for a funeral"

    claim "$n_halal" "$o_mevlana"
    claim "$n_accompany" "$o_somali"
    claim "$n_mourning" "$o_netwerk"; mark_done "$n_mourning"
fi

# --------------------------------------------------------------------------
# all: records that tie the subsets together
# --------------------------------------------------------------------------
if [ "$node" = all ]; then
    member "$c_feijenoord" "$mevlana" --role provide --reaches "older Turkish migrants,Turkish families"
    member "$c_feijenoord" "$turkse" --role facilitate --reaches "older Turkish migrants"
    member "$c_feijenoord" "$voedselbank" --role provide --reaches "families on minimum income"
    member "$c_digitaal" "$eritrea" --role facilitate --reaches "newcomers from Eritrea"
    member "$c_digitaal" "$somali" --role facilitate --reaches "Somali women"
    member "$c_digitaal" "$jongerenwerk" --role provide --reaches "youth"
    member "$c_netwerk" "$kroon" --role facilitate --reaches "older Turkish migrants"
    member "$c_netwerk" "$taalhuis" --role provide --reaches "newcomers,status holders"

    claim "$n_homework" "$o_bieb"
    claim "$n_parcels" "$o_nasr"
fi

plural() { if [ "$1" = 1 ]; then echo "$1 $2"; else echo "$1 ${2}s"; fi; }
echo "loaded $(plural $n_place place), $(plural $n_coalition coalition), $(plural $n_need need)," \
     "$(plural $n_offer offer), $(plural $n_bulletin bulletin) into $home_dir"
