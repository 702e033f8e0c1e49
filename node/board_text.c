/*
 * board_text.c -- the outage kit's message catalogue (see board_text.h).
 *
 * Each row is {nl, en, tr, ar}. The table is indexed by text_id_t and its
 * length is checked against T__COUNT at compile time, so a message added
 * to the enum without its row does not build.
 */
#include "node/board_text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const s_text[][LANG__COUNT] = {
    [T_BOARD] = {"Buurtbord", "Neighbourhood board", "Mahalle panosu", "لوحة الحي"},
    [T_PLACES] = {"Plekken", "Places", "Yerler", "الأماكن"},
    [T_NEEDS] = {"Hulpvragen", "Needs", "İhtiyaçlar", "الاحتياجات"},
    [T_OFFERS] = {"Wie kan helpen", "Who can help", "Kim yardım edebilir", "من يستطيع المساعدة"},
    [T_BULLETINS] = {"Berichten", "News", "Duyurular", "الأخبار"},
    [T_PRINT] = {"Printen", "Print", "Yazdır", "طباعة"},
    [T_AS_OF] = {"Stand van", "Information as of", "Son durum:", "آخر تحديث:"},
    [T_AREAS] = {"Wijken", "Areas", "Semtler", "الأحياء"},
    [T_ALL_AREAS] = {"Alle wijken", "All areas", "Tüm semtler", "كل الأحياء"},
    [T_NO_AREA] = {"Zonder wijk", "No area given", "Semt yok", "بدون حي"},
    [T_STILL_WORKS] = {"Werkt nog:", "Still works:", "Hâlâ çalışıyor:", "ما زال يعمل:"},
    [T_HOURS] = {"Openingstijden", "Opening hours", "Çalışma saatleri", "ساعات العمل"},
    [T_LANGS] = {"Talen", "Languages", "Diller", "اللغات"},
    [T_ADDRESS] = {"Adres", "Address", "Adres", "العنوان"},
    [T_CONTACT] = {"Contact", "Contact", "İletişim", "التواصل"},
    [T_ACCESS] = {"Toegankelijk", "Access", "Erişim", "سهولة الوصول"},
    [T_HUB] = {"Hulppunt in deze crisis", "Help point in this crisis", "Bu krizde yardım noktası",
               "نقطة مساعدة في هذه الأزمة"},
    [T_STALE] = {"misschien niet meer juist", "may be out of date", "eski olabilir",
                 "قد لا تكون محدّثة"},
    [T_NEEDS_INTRO] = {"Wat nu nodig is. Wie het nodig heeft, staat hier nooit.",
                       "What is needed now. Who needs it is never shown here.",
                       "Şu anda neye ihtiyaç var. Kimin ihtiyacı olduğu burada asla yazmaz.",
                       "ما المطلوب الآن. لا نذكر هنا أبدًا من يحتاجه."},
    [T_NEEDS_COUNT] = {"Open hulpvragen per soort", "Open needs by kind", "Türe göre açık ihtiyaçlar",
                       "الاحتياجات المفتوحة حسب النوع"},
    [T_URGENCY] = {"Haast", "Urgency", "Aciliyet", "الأولوية"},
    [T_OFFERS_INTRO] = {"Deze organisaties bieden hulp aan.", "These organisations offer help.",
                        "Bu kuruluşlar yardım sunuyor.", "هذه المنظمات تقدّم المساعدة."},
    [T_BULLETINS_INTRO] = {"Berichten die nu gelden.", "Messages that are valid now.",
                           "Şu anda geçerli duyurular.", "رسائل سارية الآن."},
    [T_SOURCE] = {"Bron", "Source", "Kaynak", "المصدر"},
    [T_TRANSLATION] = {"Vertaling", "Translation", "Çeviri", "ترجمة"},
    [T_NOTHING] = {"Hier staat nu niets.", "Nothing here right now.", "Şu anda burada bir şey yok.",
                   "لا يوجد شيء هنا الآن."},
    [T_NEXT_PAGE] = {"Volgende pagina", "Next page", "Sonraki sayfa", "الصفحة التالية"},
    [T_NOT_FOUND] = {"Pagina niet gevonden", "Page not found", "Sayfa bulunamadı",
                     "الصفحة غير موجودة"},
    [T_NOT_FOUND_HELP] = {"Deze pagina bestaat niet (meer).", "This page does not exist (any more).",
                          "Bu sayfa yok (artık yok).", "هذه الصفحة غير موجودة (أو لم تعد موجودة)."},
    [T_BACK] = {"Naar het buurtbord", "Go to the board", "Panoya dön", "العودة إلى اللوحة"},
    [T_READ_ONLY] = {"Dit bord laat alleen informatie zien. Wilt u iets veranderen? Vraag het een "
                     "organisatie uit de lijst.",
                     "This board only shows information. To change something, ask one of the "
                     "organisations listed.",
                     "Bu pano sadece bilgi gösterir. Bir şeyi değiştirmek için listedeki bir "
                     "kuruluşa sorun.",
                     "هذه اللوحة تعرض المعلومات فقط. لتغيير شيء، اسأل إحدى المنظمات في القائمة."},
    [T_PRINTED_BY] = {"Geprint door %s", "Printed by %s", "Yazdıran: %s", "طبعه: %s"},
    [T_SCAN] = {"Scan voor de nieuwste informatie:", "Scan for the latest information:",
                "En yeni bilgi için tarayın:", "امسح الرمز لأحدث المعلومات:"},
    [T_BUSY] = {"Het is even druk. Probeer het zo nog eens.", "Busy right now. Please try again in a moment.",
                "Şu anda yoğun. Lütfen biraz sonra tekrar deneyin.",
                "مشغول الآن. يرجى المحاولة مرة أخرى بعد قليل."},
    [T_STATUS_UNKNOWN] = {"Niet bekend", "Not known", "Bilinmiyor", "غير معروف"},
    [T_OFFERS_HERE] = {"Hulp van deze plek", "Help from this place", "Bu yerden yardım",
                       "المساعدة من هذا المكان"},
    [T_SINCE] = {"sinds %s", "since %s", "%s tarihinden beri", "منذ %s"},
    [T_MORE_ON_BOARD] = {"En nog %s plekken: zie het buurtbord.", "And %s more places: see the board.",
                         "%s yer daha var: panoya bakın.", "و%s أماكن أخرى: انظر اللوحة."},
    [T_CAPACITY] = {"plek voor %s mensen", "room for %s people", "%s kişilik yer",
                    "يتسع لـ %s أشخاص"},
    [T_PEOPLE] = {"%s mensen", "%s people", "%s kişi", "%s أشخاص"},
    [T_UNTIL] = {"tot %s", "until %s", "%s tarihine kadar", "حتى %s"},
    [T_MIN_AGO] = {"%s min geleden", "%s min ago", "%s dk önce", "منذ %s دقيقة"},
    [T_HOURS_AGO] = {"%s uur geleden", "%s hours ago", "%s saat önce", "منذ %s ساعة"},
    [T_DAYS_AGO] = {"%s dagen geleden", "%s days ago", "%s gün önce", "منذ %s يوم"},
    [T_JUST_NOW] = {"zojuist", "just now", "az önce", "الآن"},
    [T_BAD_REQUEST] = {"Dit adres klopt niet.", "This address is not right.", "Bu adres doğru değil.",
                       "هذا العنوان غير صحيح."},
    [T_TOTAL] = {"totaal", "in all", "toplam", "المجموع"},
};
_Static_assert(sizeof s_text / sizeof s_text[0] == T__COUNT, "one catalogue row per text_id_t");

/* Record tokens: {token, nl, en, tr, ar}. */
static const char *const s_tokens[][LANG__COUNT + 1] = {
    /* place status */
    {"open", "Open", "Open", "Açık", "مفتوح"},
    {"limited", "Beperkt open", "Partly open", "Kısmen açık", "مفتوح جزئيًا"},
    {"alternative", "Op een andere manier", "Open in another way", "Başka yoldan", "بطريقة أخرى"},
    {"closed", "Dicht", "Closed", "Kapalı", "مغلق"},
    {"overloaded", "Te druk", "Too busy", "Çok yoğun", "مزدحم جدًا"},
    /* need categories */
    {"food", "Eten", "Food", "Yemek", "طعام"},
    {"shelter", "Onderdak", "Shelter", "Barınak", "مأوى"},
    {"information", "Informatie", "Information", "Bilgi", "معلومات"},
    {"contact", "Contact", "Company", "Sohbet ve iletişim", "تواصل ورفقة"},
    {"digital", "Digitale hulp", "Digital help", "Dijital yardım", "مساعدة رقمية"},
    {"health", "Gezondheid en zorg", "Health and care", "Sağlık ve bakım", "صحة ورعاية"},
    {"money", "Geld en papieren", "Money and forms", "Para ve evrak", "مال وأوراق"},
    {"errands", "Boodschappen en vervoer", "Errands and transport", "Alışveriş ve ulaşım",
     "مشتريات ونقل"},
    {"childcare", "Kinderen", "Children", "Çocuklar", "الأطفال"},
    {"safety", "Veiligheid", "Safety", "Güvenlik", "الأمان"},
    {"other", "Anders", "Other", "Diğer", "أخرى"},
    /* channels */
    {"phone", "Telefoon", "Phone", "Telefon", "الهاتف"},
    {"doorstep", "Aan de deur", "At the door", "Kapıda", "عند الباب"},
    {"intercom", "Intercom", "Intercom", "Diyafon", "الإنتركم"},
    {"outdoor", "Buiten", "Outside", "Dışarıda", "في الخارج"},
    /* urgency */
    {"low", "Laag", "Low", "Düşük", "منخفضة"},
    {"normal", "Normaal", "Normal", "Normal", "عادية"},
    {"high", "Hoog", "High", "Yüksek", "عالية"},
    {"critical", "Dringend", "Urgent", "Acil", "عاجلة"},
};

const char *board_text(lang_t lang, text_id_t id)
{
    if ((unsigned)lang >= LANG__COUNT)
        lang = LANG_EN;
    if ((unsigned)id >= T__COUNT)
        return "";
    const char *t = s_text[id][lang];
    return t ? t : "";
}

static const char *const s_codes[LANG__COUNT] = {"nl", "en", "tr", "ar"};
static const char *const s_names[LANG__COUNT] = {"Nederlands", "English", "Türkçe", "العربية"};

const char *board_lang_code(lang_t lang)
{
    return (unsigned)lang < LANG__COUNT ? s_codes[lang] : "en";
}

const char *board_lang_name(lang_t lang)
{
    return (unsigned)lang < LANG__COUNT ? s_names[lang] : "English";
}

bool board_lang_rtl(lang_t lang)
{
    return lang == LANG_AR;
}

int board_lang_parse(const char *s)
{
    if (!s || !isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]))
        return -1;
    if (s[2] && s[2] != '-' && s[2] != '_' && s[2] != ';' && s[2] != ',' && s[2] != ' ')
        return -1;
    for (int i = 0; i < LANG__COUNT; i++)
        if (tolower((unsigned char)s[0]) == s_codes[i][0] && tolower((unsigned char)s[1]) == s_codes[i][1])
            return i;
    return -1;
}

lang_t board_lang_accept(const char *h, lang_t dflt)
{
    if (!h)
        return dflt;
    lang_t best = dflt;
    double bestq = 0;
    const char *p = h;
    for (int items = 0; *p && items < 32; items++) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *tag = p;
        while (*p && *p != ',' && *p != ';')
            p++;
        double q = 1.0;
        if (*p == ';') {
            const char *qs = strstr(p, "q=");
            const char *end = strchr(p, ',');
            if (qs && (!end || qs < end))
                q = strtod(qs + 2, NULL);
            while (*p && *p != ',')
                p++;
        }
        int l = board_lang_parse(tag);
        if (l >= 0 && q > bestq && q <= 1.0) {
            best = (lang_t)l;
            bestq = q;
        }
    }
    return best;
}

const char *board_token(lang_t lang, const char *token)
{
    if (!token)
        return "";
    if ((unsigned)lang >= LANG__COUNT)
        lang = LANG_EN;
    for (size_t i = 0; i < sizeof s_tokens / sizeof s_tokens[0]; i++)
        if (strcmp(s_tokens[i][0], token) == 0)
            return s_tokens[i][1 + lang];
    return token;
}

const char *board_status_icon(const char *status)
{
    static const char *const st[][2] = {{"open", "✔"},   {"limited", "◐"}, {"alternative", "↪"},
                                        {"closed", "✖"}, {"overloaded", "⚠"}};
    for (size_t i = 0; status && i < sizeof st / sizeof st[0]; i++)
        if (strcmp(st[i][0], status) == 0)
            return st[i][1];
    return "?";
}

void board_age(lang_t lang, int64_t ms, char *out, size_t n)
{
    char num[24];
    text_id_t t;
    if (ms < 60000) {
        snprintf(out, n, "%s", board_text(lang, T_JUST_NOW));
        return;
    }
    if (ms < 2 * 3600000LL) {
        snprintf(num, sizeof num, "%lld", (long long)(ms / 60000));
        t = T_MIN_AGO;
    } else if (ms < 2 * 86400000LL) {
        snprintf(num, sizeof num, "%lld", (long long)(ms / 3600000));
        t = T_HOURS_AGO;
    } else {
        snprintf(num, sizeof num, "%lld", (long long)(ms / 86400000));
        t = T_DAYS_AGO;
    }
    board_fmt(lang, t, num, out, n);
}

void board_fmt(lang_t lang, text_id_t id, const char *arg, char *out, size_t n)
{
    const char *tpl = board_text(lang, id), *at = strstr(tpl, "%s");
    if (!at)
        snprintf(out, n, "%s", tpl);
    else
        snprintf(out, n, "%.*s%s%s", (int)(at - tpl), tpl, arg ? arg : "", at + 2);
}
