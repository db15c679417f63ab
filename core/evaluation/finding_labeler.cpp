#include "evaluation/finding_labeler.h"

#include <algorithm>
#include <unordered_map>

namespace fmw::eval {

namespace {

// Mention targets beyond the 14 observation indices.
// A finding outside the 14 (emphysema, granuloma...): it only blocks No Finding.
constexpr int kOther = 100;
// Consumes words that would otherwise mis-trigger ("pleural line", "mass effect").
constexpr int kIgnore = 101;

enum class MentionKind : std::uint8_t { Direct, Anatomy, HeartFailure };

// Anatomy without a qualifier says nothing, so it needs one of these nearby.
enum class Qualifier : std::uint8_t { None, Normal, Enlarged, Equivocal };

enum class CueKind : std::uint8_t {
    NegFwd, // "no", "without": covers later mentions
    NegAuto, // "not", "resolved", "removed": later mentions if any follow, else earlier ones
    UncAuto, // "possible", "likely", "may"
    UncExplain, // "may represent", "suggestive of": forward, and stays negated inside a negation scope
    PreUncAuto, // "cannot be excluded", "no new": beats negation (CheXpert's pre-negation uncertainty)
    Versus, // "versus": the nearest mention on either side
    Pseudo, // "no change": consumed so its "no" negates nothing
    Break, // "but", "however": ends the clause
};

struct MentionPhrase {
    const char *text;
    int target;
    MentionKind kind;
};

struct CuePhrase {
    const char *text;
    CueKind kind;
};

constexpr int kECM = static_cast<int>(Observation::EnlargedCardiomediastinum);
constexpr int kCM = static_cast<int>(Observation::Cardiomegaly);
constexpr int kLO = static_cast<int>(Observation::LungOpacity);
constexpr int kLL = static_cast<int>(Observation::LungLesion);
constexpr int kED = static_cast<int>(Observation::Edema);
constexpr int kCO = static_cast<int>(Observation::Consolidation);
constexpr int kPN = static_cast<int>(Observation::Pneumonia);
constexpr int kAT = static_cast<int>(Observation::Atelectasis);
constexpr int kPX = static_cast<int>(Observation::Pneumothorax);
constexpr int kPE = static_cast<int>(Observation::PleuralEffusion);
constexpr int kPO = static_cast<int>(Observation::PleuralOther);
constexpr int kFR = static_cast<int>(Observation::Fracture);
constexpr int kSD = static_cast<int>(Observation::SupportDevices);

// Token stems: a word starting with the prefix is read as the canonical word.
struct Stem {
    const char *prefix;
    const char *canonical;
};

const Stem kStems[] = {
    {"opaci", "opacity"},
    {"consolidat", "consolidation"},
    {"atelecta", "atelectasis"},
    {"infiltrat", "infiltrate"},
    {"pneumothora", "pneumothorax"},
    {"fractur", "fracture"},
    {"calcifi", "calcification"},
    {"atheroscl", "atherosclerosis"},
    {"hyperinfla", "hyperinflation"},
    {"hyperexpan", "hyperexpansion"},
    {"degenera", "degenerative"},
    {"emphysem", "emphysema"},
    {"metasta", "metastasis"},
    {"granulom", "granuloma"},
    {"nodul", "nodule"},
    {"effusion", "effusion"},
    {"reticul", "reticular"},
    {"catheter", "catheter"},
    {"pacemaker", "pacemaker"},
    {"defibrillat", "defibrillator"},
    {"arthroplast", "arthroplasty"},
    {"kypho", "kyphosis"},
    {"scolio", "scoliosis"},
    {"bronchiecta", "bronchiectasis"},
    {"hernia", "hernia"},
    {"device", "device"},
    {"cardiomegal", "cardiomegaly"},
};

// Exact spelling variants.
const std::pair<const char *, const char *> kSynonyms[] = {
    {"can't", "cannot"},
    {"oedema", "edema"},
    {"vs", "versus"},
    {"haemorrhage", "hemorrhage"},
    {"haematoma", "hematoma"},
    {"tumour", "tumor"},
    {"masses", "mass"},
    {"tubes", "tube"},
    {"lines", "line"},
    {"drains", "drain"},
    {"stents", "stent"},
    {"screws", "screw"},
    {"coils", "coil"},
    {"infections", "infection"},
    {"pneumonias", "pneumonia"},
    {"contours", "contour"},
    {"markings", "marking"},
    {"densities", "density"},
    {"plaques", "plaque"},
    {"leads", "lead"},
};

const MentionPhrase kMentions[] = {
    // Enlarged Cardiomediastinum
    {"mediastinal widening", kECM, MentionKind::Direct},
    {"mediastinal enlargement", kECM, MentionKind::Direct},
    {"cardiomediastinal enlargement", kECM, MentionKind::Direct},
    {"cardiomediastinal silhouette", kECM, MentionKind::Anatomy},
    {"cardiomediastinal contour", kECM, MentionKind::Anatomy},
    {"cardiomediastinal", kECM, MentionKind::Anatomy},
    {"cardiomediastinum", kECM, MentionKind::Anatomy},
    {"mediastinal silhouette", kECM, MentionKind::Anatomy},
    {"mediastinal contour", kECM, MentionKind::Anatomy},
    {"mediastinal and hilar contour", kECM, MentionKind::Anatomy},
    {"mediastinal configuration", kECM, MentionKind::Anatomy},
    {"mediastinum", kECM, MentionKind::Anatomy},
    {"pericardial silhouette", kECM, MentionKind::Anatomy},
    // Cardiomegaly
    {"cardiomegaly", kCM, MentionKind::Direct},
    {"cardiac enlargement", kCM, MentionKind::Direct},
    {"heart", kCM, MentionKind::Anatomy},
    {"heart size", kCM, MentionKind::Anatomy},
    {"heart shadow", kCM, MentionKind::Anatomy},
    {"cardiac size", kCM, MentionKind::Anatomy},
    {"cardiac silhouette", kCM, MentionKind::Anatomy},
    {"cardiac contour", kCM, MentionKind::Anatomy},
    {"cardiac shadow", kCM, MentionKind::Anatomy},
    // Lung Opacity
    {"opacity", kLO, MentionKind::Direct},
    {"infiltrate", kLO, MentionKind::Direct},
    {"airspace disease", kLO, MentionKind::Direct},
    {"air space disease", kLO, MentionKind::Direct},
    {"airspace process", kLO, MentionKind::Direct},
    {"interstitial marking", kLO, MentionKind::Direct},
    {"interstitial pattern", kLO, MentionKind::Direct},
    {"interstitial disease", kLO, MentionKind::Direct},
    {"interstitial lung disease", kLO, MentionKind::Direct},
    {"reticular", kLO, MentionKind::Direct},
    {"scarring", kLO, MentionKind::Direct},
    {"scar", kLO, MentionKind::Direct},
    {"peribronchial thickening", kLO, MentionKind::Direct},
    {"peribronchial cuffing", kLO, MentionKind::Direct},
    {"wall thickening", kLO, MentionKind::Direct},
    {"decreased translucency", kLO, MentionKind::Direct},
    {"increased density", kLO, MentionKind::Direct},
    {"haziness", kLO, MentionKind::Direct},
    {"hazy", kLO, MentionKind::Direct},
    {"ground glass", kLO, MentionKind::Direct},
    // Lung Lesion
    {"nodule", kLL, MentionKind::Direct},
    {"nodule opacity", kLL, MentionKind::Direct},
    {"nodule density", kLL, MentionKind::Direct},
    {"mass", kLL, MentionKind::Direct},
    {"lung lesion", kLL, MentionKind::Direct},
    {"pulmonary lesion", kLL, MentionKind::Direct},
    {"cavitary lesion", kLL, MentionKind::Direct},
    {"lump", kLL, MentionKind::Direct},
    {"tumor", kLL, MentionKind::Direct},
    {"neoplasm", kLL, MentionKind::Direct},
    {"carcinoma", kLL, MentionKind::Direct},
    {"malignancy", kLL, MentionKind::Direct},
    // Edema
    {"edema", kED, MentionKind::Direct},
    {"heart failure", kED, MentionKind::HeartFailure},
    {"chf", kED, MentionKind::HeartFailure},
    {"vascular congestion", kED, MentionKind::Direct},
    {"pulmonary congestion", kED, MentionKind::Direct},
    {"vascular engorgement", kED, MentionKind::Direct},
    {"vascular prominence", kED, MentionKind::Direct},
    {"fluid overload", kED, MentionKind::Direct},
    {"indistinctness", kED, MentionKind::Direct},
    // Consolidation
    {"consolidation", kCO, MentionKind::Direct},
    // Pneumonia
    {"pneumonia", kPN, MentionKind::Direct},
    {"pneumonic", kPN, MentionKind::Direct},
    {"bronchopneumonia", kPN, MentionKind::Direct},
    {"infection", kPN, MentionKind::Direct},
    {"infectious", kPN, MentionKind::Direct},
    {"infectious process", kPN, MentionKind::Direct},
    // Atelectasis
    {"atelectasis", kAT, MentionKind::Direct},
    {"collapse", kAT, MentionKind::Direct},
    {"collapsed", kAT, MentionKind::Direct},
    // Pneumothorax
    {"pneumothorax", kPX, MentionKind::Direct},
    {"ptx", kPX, MentionKind::Direct},
    // Pleural Effusion
    {"effusion", kPE, MentionKind::Direct},
    {"pleural fluid", kPE, MentionKind::Direct},
    {"hydrothorax", kPE, MentionKind::Direct},
    // Pleural Other
    {"pleural thickening", kPO, MentionKind::Direct},
    {"pleural scar", kPO, MentionKind::Direct},
    {"pleural scarring", kPO, MentionKind::Direct},
    {"pleuroparenchymal scar", kPO, MentionKind::Direct},
    {"pleuroparenchymal scarring", kPO, MentionKind::Direct},
    {"pleuro parenchymal scar", kPO, MentionKind::Direct},
    {"pleuro parenchymal scarring", kPO, MentionKind::Direct},
    {"pleural plaque", kPO, MentionKind::Direct},
    {"fibrothorax", kPO, MentionKind::Direct},
    {"fibrosis", kPO, MentionKind::Direct},
    {"apical cap", kPO, MentionKind::Direct},
    // Fracture
    {"fracture", kFR, MentionKind::Direct},
    // Support Devices
    {"tube", kSD, MentionKind::Direct},
    {"line", kSD, MentionKind::Direct},
    {"picc", kSD, MentionKind::Direct},
    {"catheter", kSD, MentionKind::Direct},
    {"pacemaker", kSD, MentionKind::Direct},
    {"pacer", kSD, MentionKind::Direct},
    {"defibrillator", kSD, MentionKind::Direct},
    {"icd", kSD, MentionKind::Direct},
    {"aicd", kSD, MentionKind::Direct},
    {"valve", kSD, MentionKind::Direct},
    {"hardware", kSD, MentionKind::Direct},
    {"device", kSD, MentionKind::Direct},
    {"drain", kSD, MentionKind::Direct},
    {"stent", kSD, MentionKind::Direct},
    {"cannula", kSD, MentionKind::Direct},
    {"coil", kSD, MentionKind::Direct},
    {"mediport", kSD, MentionKind::Direct},
    {"port a cath", kSD, MentionKind::Direct},
    {"swan ganz", kSD, MentionKind::Direct},
    {"arthroplasty", kSD, MentionKind::Direct},
    {"screw", kSD, MentionKind::Direct},
    {"ecmo", kSD, MentionKind::Direct},
    // Other findings (block No Finding only)
    {"emphysema", kOther, MentionKind::Direct},
    {"hyperinflation", kOther, MentionKind::Direct},
    {"hyperexpansion", kOther, MentionKind::Direct},
    {"scoliosis", kOther, MentionKind::Direct},
    {"kyphosis", kOther, MentionKind::Direct},
    {"granuloma", kOther, MentionKind::Direct},
    {"calcification", kOther, MentionKind::Direct},
    {"calcification nodule", kOther, MentionKind::Direct},
    {"calcification granuloma", kOther, MentionKind::Direct},
    {"hernia", kOther, MentionKind::Direct},
    {"pneumomediastinum", kOther, MentionKind::Direct},
    {"pneumoperitoneum", kOther, MentionKind::Direct},
    {"subcutaneous air", kOther, MentionKind::Direct},
    {"free air", kOther, MentionKind::Direct},
    {"atherosclerosis", kOther, MentionKind::Direct},
    {"tortuous", kOther, MentionKind::Direct},
    {"tortuosity", kOther, MentionKind::Direct},
    {"degenerative", kOther, MentionKind::Direct},
    {"osteopenia", kOther, MentionKind::Direct},
    {"deformity", kOther, MentionKind::Direct},
    {"volume loss", kOther, MentionKind::Direct},
    {"bronchiectasis", kOther, MentionKind::Direct},
    {"copd", kOther, MentionKind::Direct},
    {"aspiration", kOther, MentionKind::Direct},
    {"hematoma", kOther, MentionKind::Direct},
    {"hemorrhage", kOther, MentionKind::Direct},
    {"metastasis", kOther, MentionKind::Direct},
    {"blunting", kOther, MentionKind::Direct},
    {"elevation", kOther, MentionKind::Direct},
    {"elevated", kOther, MentionKind::Direct},
    {"thickening", kOther, MentionKind::Direct},
    {"cephalization", kOther, MentionKind::Direct},
    {"bronchitis", kOther, MentionKind::Direct},
    {"asthma", kOther, MentionKind::Direct},
    {"bulla", kOther, MentionKind::Direct},
    {"bullae", kOther, MentionKind::Direct},
    {"bullous", kOther, MentionKind::Direct},
    {"contusion", kOther, MentionKind::Direct},
    {"density", kOther, MentionKind::Direct},
    {"pericardial effusion", kOther, MentionKind::Direct},
    {"lymphadenopathy", kOther, MentionKind::Direct},
    {"adenopathy", kOther, MentionKind::Direct},
    // Not findings
    {"pleural line", kIgnore, MentionKind::Direct},
    {"septal line", kIgnore, MentionKind::Direct},
    {"kerley", kIgnore, MentionKind::Direct},
    {"b line", kIgnore, MentionKind::Direct},
    {"skin line", kIgnore, MentionKind::Direct},
    {"skin fold", kIgnore, MentionKind::Direct},
    {"junction line", kIgnore, MentionKind::Direct},
    {"paraspinal line", kIgnore, MentionKind::Direct},
    {"mass effect", kIgnore, MentionKind::Direct},
    {"subcutaneous edema", kIgnore, MentionKind::Direct},
    {"soft tissue edema", kIgnore, MentionKind::Direct},
    {"chest wall edema", kIgnore, MentionKind::Direct},
};

const CuePhrase kCues[] = {
    // Negation
    {"no", CueKind::NegFwd},
    {"without", CueKind::NegFwd},
    {"negative for", CueKind::NegFwd},
    {"free of", CueKind::NegFwd},
    {"clear of", CueKind::NegFwd},
    {"clearing of", CueKind::NegFwd},
    {"absence of", CueKind::NegFwd},
    {"resolution of", CueKind::NegFwd},
    {"removal of", CueKind::NegFwd},
    {"neither", CueKind::NegFwd},
    {"nor", CueKind::NegFwd},
    {"rather than", CueKind::NegFwd},
    {"not", CueKind::NegAuto},
    {"no longer", CueKind::NegAuto},
    {"absent", CueKind::NegAuto},
    {"resolved", CueKind::NegAuto},
    {"removed", CueKind::NegAuto},
    {"cleared", CueKind::NegAuto},
    {"excluded", CueKind::NegAuto},
    {"rule out", CueKind::NegAuto},
    {"ruled out", CueKind::NegAuto},
    {"rules out", CueKind::NegAuto},
    {"r o", CueKind::NegAuto},
    // Uncertainty that beats negation
    {"no new", CueKind::PreUncAuto},
    {"cannot exclude", CueKind::PreUncAuto},
    {"can not exclude", CueKind::PreUncAuto},
    {"cannot be excluded", CueKind::PreUncAuto},
    {"can not be excluded", CueKind::PreUncAuto},
    {"cannot be entirely excluded", CueKind::PreUncAuto},
    {"cannot rule out", CueKind::PreUncAuto},
    {"can not rule out", CueKind::PreUncAuto},
    {"cannot be ruled out", CueKind::PreUncAuto},
    {"not excluded", CueKind::PreUncAuto},
    {"not be excluded", CueKind::PreUncAuto},
    {"not entirely excluded", CueKind::PreUncAuto},
    {"not ruled out", CueKind::PreUncAuto},
    {"not be ruled out", CueKind::PreUncAuto},
    {"difficult to exclude", CueKind::PreUncAuto},
    // Uncertainty
    {"possible", CueKind::UncAuto},
    {"possibly", CueKind::UncAuto},
    {"probable", CueKind::UncAuto},
    {"probably", CueKind::UncAuto},
    {"likely", CueKind::UncAuto},
    {"questionable", CueKind::UncAuto},
    {"question of", CueKind::UncAuto},
    {"suspected", CueKind::UncAuto},
    {"suspect", CueKind::UncAuto},
    {"suspicious", CueKind::UncAuto},
    {"may", CueKind::UncAuto},
    {"might", CueKind::UncAuto},
    {"could", CueKind::UncAuto},
    {"maybe", CueKind::UncAuto},
    {"perhaps", CueKind::UncAuto},
    {"presumed", CueKind::UncAuto},
    {"presumably", CueKind::UncAuto},
    {"equivocal", CueKind::UncAuto},
    {"borderline", CueKind::UncAuto},
    {"uncertain", CueKind::UncAuto},
    {"indeterminate", CueKind::UncAuto},
    {"potential", CueKind::UncAuto},
    {"potentially", CueKind::UncAuto},
    {"evaluate for", CueKind::UncAuto},
    {"assess for", CueKind::UncAuto},
    {"evaluation for", CueKind::UncAuto},
    {"differential", CueKind::UncAuto},
    {"represent", CueKind::UncExplain},
    {"represents", CueKind::UncExplain},
    {"representing", CueKind::UncExplain},
    {"may represent", CueKind::UncExplain},
    {"could represent", CueKind::UncExplain},
    {"might represent", CueKind::UncExplain},
    {"likely represents", CueKind::UncExplain},
    {"likely representing", CueKind::UncExplain},
    {"possibly representing", CueKind::UncExplain},
    {"probably represents", CueKind::UncExplain},
    {"reflect", CueKind::UncExplain},
    {"reflects", CueKind::UncExplain},
    {"reflecting", CueKind::UncExplain},
    {"may reflect", CueKind::UncExplain},
    {"could reflect", CueKind::UncExplain},
    {"likely reflects", CueKind::UncExplain},
    {"may be due to", CueKind::UncExplain},
    {"suggest", CueKind::UncExplain},
    {"suggests", CueKind::UncExplain},
    {"suggesting", CueKind::UncExplain},
    {"suggestive of", CueKind::UncExplain},
    {"concerning for", CueKind::UncExplain},
    {"concern for", CueKind::UncExplain},
    {"worrisome for", CueKind::UncExplain},
    {"suspicious for", CueKind::UncExplain},
    {"versus", CueKind::Versus},
    // Not negations
    {"no change", CueKind::Pseudo},
    {"no interval change", CueKind::Pseudo},
    {"no significant change", CueKind::Pseudo},
    {"no significant interval change", CueKind::Pseudo},
    {"without change", CueKind::Pseudo},
    {"without interval change", CueKind::Pseudo},
    {"not changed", CueKind::Pseudo},
    {"not significantly changed", CueKind::Pseudo},
    {"no increase", CueKind::Pseudo},
    {"no decrease", CueKind::Pseudo},
    {"not only", CueKind::Pseudo},
    // Clause ends
    {"but", CueKind::Break},
    {"however", CueKind::Break},
    {"although", CueKind::Break},
    {"though", CueKind::Break},
    {"except", CueKind::Break},
    {"exception", CueKind::Break},
    {"whereas", CueKind::Break},
    {"while", CueKind::Break},
    {"aside from", CueKind::Break},
    {"apart from", CueKind::Break},
    {"and there", CueKind::Break},
};

const std::pair<const char *, Qualifier> kQualifiers[] = {
    {"normal", Qualifier::Normal},
    {"unremarkable", Qualifier::Normal},
    {"enlarged", Qualifier::Enlarged},
    {"enlargement", Qualifier::Enlarged},
    {"large", Qualifier::Enlarged},
    {"larger", Qualifier::Enlarged},
    {"widened", Qualifier::Enlarged},
    {"widening", Qualifier::Enlarged},
    {"wide", Qualifier::Enlarged},
    {"increased", Qualifier::Enlarged},
    {"prominent", Qualifier::Enlarged},
    {"prominence", Qualifier::Enlarged},
    {"cardiomegaly", Qualifier::Enlarged},
    {"borderline", Qualifier::Equivocal},
    {"stable", Qualifier::Equivocal},
    {"unchanged", Qualifier::Equivocal},
};

constexpr int kUnknown = -1;
constexpr int kSentenceEnd = -2;

struct Phrase {
    std::vector<int> ids;
    int value; // mention: index into kMentions; cue: index into kCues
};

class Tables {
public:
    Tables()
    {
        for (const Stem &s : kStems)
            intern(s.canonical);
        for (const auto &[variant, canonical] : kSynonyms)
            m_vocab.emplace(variant, intern(canonical));
        for (size_t i = 0; i < std::size(kMentions); ++i)
            add(m_mentionsByFirst, kMentions[i].text, static_cast<int>(i));
        for (size_t i = 0; i < std::size(kCues); ++i)
            add(m_cuesByFirst, kCues[i].text, static_cast<int>(i));
        for (const auto &[word, q] : kQualifiers) {
            const int id = idFor(word, true);
            if (static_cast<size_t>(id) >= m_qualifier.size())
                m_qualifier.resize(id + 1, Qualifier::None);
            m_qualifier[id] = q;
        }
        m_qualifier.resize(m_vocab.size(), Qualifier::None);
        m_mentionsByFirst.resize(m_vocab.size());
        m_cuesByFirst.resize(m_vocab.size());
        // Longest first, so the first full match is the longest one.
        for (auto *table : {&m_mentionsByFirst, &m_cuesByFirst})
            for (auto &list : *table)
                std::stable_sort(list.begin(), list.end(),
                    [](const Phrase &a, const Phrase &b) { return a.ids.size() > b.ids.size(); });
    }

    // `word` must already be lower case.
    int lookup(const std::string &word) const
    {
        const auto it = m_vocab.find(word);
        if (it != m_vocab.end())
            return it->second;
        for (const Stem &s : kStems)
            if (word.compare(0, std::char_traits<char>::length(s.prefix), s.prefix) == 0)
                return m_vocab.at(s.canonical);
        return kUnknown;
    }

    Qualifier qualifier(int id) const { return id >= 0 ? m_qualifier[id] : Qualifier::None; }

    const std::vector<Phrase> &mentionsStartingWith(int id) const { return m_mentionsByFirst[id]; }
    const std::vector<Phrase> &cuesStartingWith(int id) const { return m_cuesByFirst[id]; }

private:
    int intern(const std::string &word)
    {
        const auto it = m_vocab.find(word);
        if (it != m_vocab.end())
            return it->second;
        const int id = static_cast<int>(m_vocab.size());
        m_vocab.emplace(word, id);
        return id;
    }

    // Phrase words go through the same normalisation as report words.
    int idFor(const std::string &word, bool create)
    {
        const int id = lookup(word);
        return id != kUnknown || !create ? id : intern(word);
    }

    void add(std::vector<std::vector<Phrase>> &table, const char *text, int value)
    {
        Phrase p;
        p.value = value;
        std::string word;
        for (const char *c = text;; ++c) {
            if (*c == ' ' || *c == '\0') {
                if (!word.empty())
                    p.ids.push_back(idFor(word, true));
                word.clear();
                if (*c == '\0')
                    break;
            } else {
                word += *c;
            }
        }
        if (table.size() < m_vocab.size())
            table.resize(m_vocab.size());
        table[p.ids.front()].push_back(std::move(p));
    }

    std::unordered_map<std::string, int> m_vocab;
    std::vector<std::vector<Phrase>> m_mentionsByFirst;
    std::vector<std::vector<Phrase>> m_cuesByFirst;
    std::vector<Qualifier> m_qualifier;
};

const Tables &tables()
{
    static const Tables t;
    return t;
}

struct Token {
    int id;
    std::uint32_t begin;
    std::uint32_t end;
};

bool isWordChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Words are [a-z0-9]+ (plus an inner apostrophe, and a decimal point between digits); sentence
// punctuation becomes kSentenceEnd; everything else separates words.
std::vector<Token> tokenize(std::string_view text, const Tables &t)
{
    std::vector<Token> tokens;
    tokens.reserve(text.size() / 5 + 4);
    std::string word;
    const size_t n = text.size();
    size_t i = 0;
    auto endSentence = [&](size_t at) {
        if (!tokens.empty() && tokens.back().id != kSentenceEnd)
            tokens.push_back(
                {kSentenceEnd, static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(at + 1)});
    };
    int newlines = 0;
    while (i < n) {
        const char c = lower(text[i]);
        if (isWordChar(c)) {
            newlines = 0;
            const size_t begin = i;
            word.clear();
            while (i < n) {
                const char d = lower(text[i]);
                if (isWordChar(d)) {
                    word += d;
                    ++i;
                } else if ((d == '\'' || d == '.') && i + 1 < n && isWordChar(lower(text[i + 1]))
                    && (d == '\''
                        || (word.back() >= '0' && word.back() <= '9' && text[i + 1] >= '0'
                            && text[i + 1] <= '9'))) {
                    word += d;
                    ++i;
                } else {
                    break;
                }
            }
            tokens.push_back(
                {t.lookup(word), static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(i)});
            // "vs." must not end the sentence.
            if (word == "vs" && i < n && text[i] == '.')
                ++i;
            continue;
        }
        if (c == '.' || c == '?' || c == '!' || c == ';' || c == ':')
            endSentence(i);
        else if (c == '\n' && ++newlines >= 2)
            endSentence(i);
        else if (c != ' ' && c != '\r' && c != '\t' && c != '\n')
            newlines = 0;
        ++i;
    }
    endSentence(n);
    return tokens;
}

struct Cue {
    CueKind kind;
    int start;
    int end;
    int clause;
    bool forward = false; // resolved direction for the Auto kinds
};

struct Mention {
    int target;
    MentionKind kind;
    int start;
    int end;
    int pos; // where cues are judged: the qualifier for anatomy, the start otherwise
    int clause;
    FindingLabel base;
    bool fixed; // "normal heart size": no cue changes it
};

bool isForwardOnly(CueKind k)
{
    return k == CueKind::NegFwd || k == CueKind::UncExplain;
}

bool isAuto(CueKind k)
{
    return k == CueKind::NegAuto || k == CueKind::UncAuto || k == CueKind::PreUncAuto;
}

// Longest phrase at `i` among `phrases`, or nullptr.
const Phrase *matchAt(const std::vector<Token> &tok, int i, int end, const std::vector<Phrase> &phrases)
{
    for (const Phrase &p : phrases) {
        const int len = static_cast<int>(p.ids.size());
        if (i + len > end)
            continue;
        bool ok = true;
        for (int k = 1; k < len && ok; ++k)
            ok = tok[i + k].id == p.ids[k];
        if (ok)
            return &p;
    }
    return nullptr;
}

// Nearest anatomy qualifier within the clause: a few words before or after the mention.
Qualifier findQualifier(const std::vector<Token> &tok, const std::vector<int> &clauseOf, int start, int end,
    int *pos, const Tables &t)
{
    constexpr int kBefore = 4;
    constexpr int kAfter = 6;
    const int clause = clauseOf[start];
    int bestDist = 1 << 30;
    Qualifier best = Qualifier::None;
    for (int k = end; k < end + kAfter && k < static_cast<int>(tok.size()) && tok[k].id != kSentenceEnd;
         ++k) {
        if (clauseOf[k] != clause)
            break;
        const Qualifier q = t.qualifier(tok[k].id);
        if (q != Qualifier::None) {
            bestDist = k - end + 1;
            best = q;
            *pos = k;
            break;
        }
    }
    for (int k = start - 1; k >= 0 && k >= start - kBefore && tok[k].id != kSentenceEnd; --k) {
        if (clauseOf[k] != clause)
            break;
        const Qualifier q = t.qualifier(tok[k].id);
        if (q != Qualifier::None) {
            if (start - k < bestDist) {
                best = q;
                *pos = k;
            }
            break;
        }
    }
    return best;
}

// Labels the mentions of one sentence tok[begin, end).
void labelSentence(const std::vector<Token> &tok, int begin, int end, std::vector<int> &clauseOf,
    const Tables &t, std::vector<std::pair<Mention, FindingLabel>> *out)
{
    std::vector<Cue> cues;
    int clause = 0;
    for (int i = begin; i < end;) {
        const Phrase *p = tok[i].id >= 0 ? matchAt(tok, i, end, t.cuesStartingWith(tok[i].id)) : nullptr;
        if (!p) {
            clauseOf[i++] = clause;
            continue;
        }
        const CueKind kind = kCues[p->value].kind;
        const int len = static_cast<int>(p->ids.size());
        const bool negationRight = !cues.empty() && cues.back().end == i && cues.back().clause == clause
            && (cues.back().kind == CueKind::NegFwd || cues.back().kind == CueKind::NegAuto);
        if (kind == CueKind::Break)
            ++clause;
        else if (kind == CueKind::UncAuto && negationRight)
            cues.back().end = i + len; // "no suspicious mass", "no definite...": still a negation
        else if (kind != CueKind::Pseudo)
            cues.push_back({kind, i, i + len, clause});
        for (int k = i; k < i + len; ++k)
            clauseOf[k] = clause;
        i += len;
    }

    std::vector<Mention> mentions;
    for (int i = begin; i < end;) {
        const Phrase *p = tok[i].id >= 0 ? matchAt(tok, i, end, t.mentionsStartingWith(tok[i].id)) : nullptr;
        if (!p) {
            ++i;
            continue;
        }
        const MentionPhrase &mp = kMentions[p->value];
        const int len = static_cast<int>(p->ids.size());
        Mention m {mp.target, mp.kind, i, i + len, i, clauseOf[i], FindingLabel::Positive, false};
        i += len;
        if (m.target == kIgnore)
            continue;
        if (m.kind == MentionKind::Anatomy) {
            const Qualifier q = findQualifier(tok, clauseOf, m.start, m.end, &m.pos, t);
            if (q == Qualifier::None)
                continue;
            m.base = q == Qualifier::Normal ? FindingLabel::Negative
                : q == Qualifier::Equivocal ? FindingLabel::Uncertain
                                            : FindingLabel::Positive;
            m.fixed = q == Qualifier::Normal;
        }
        mentions.push_back(m);
    }
    if (mentions.empty())
        return;

    // An Auto cue points forward when a mention follows it before the next cue in its clause.
    for (size_t c = 0; c < cues.size(); ++c) {
        Cue &cue = cues[c];
        if (!isAuto(cue.kind))
            continue;
        const int limit = c + 1 < cues.size() && cues[c + 1].clause == cue.clause ? cues[c + 1].start : end;
        for (const Mention &m : mentions)
            if (m.clause == cue.clause && m.pos >= cue.end && m.pos < limit)
                cue.forward = true;
    }

    for (size_t mi = 0; mi < mentions.size(); ++mi) {
        const Mention &m = mentions[mi];
        bool pre = false, neg = false, unc = m.base == FindingLabel::Uncertain;
        auto apply = [&](CueKind k) {
            if (k == CueKind::PreUncAuto)
                pre = true;
            else if (k == CueKind::NegFwd || k == CueKind::NegAuto)
                neg = true;
            else
                unc = true;
        };
        // Forward scope: the nearest cue before the mention, looking through explanatory ones.
        const Cue *forward = nullptr;
        bool explained = false;
        for (int c = static_cast<int>(cues.size()) - 1; c >= 0; --c) {
            const Cue &cue = cues[c];
            if (cue.clause != m.clause || cue.end > m.pos || cue.kind == CueKind::Versus)
                continue;
            if (cue.kind == CueKind::UncExplain) {
                explained = true;
                continue;
            }
            if (isForwardOnly(cue.kind) || cue.forward)
                forward = &cue;
            break;
        }
        // Backward scope: the nearest cue after the mention, if it points back.
        const Cue *backward = nullptr;
        const int after = std::max(m.end, m.pos + 1);
        for (const Cue &cue : cues) {
            if (cue.clause != m.clause || cue.start < after || cue.kind == CueKind::Versus
                || cue.kind == CueKind::UncExplain)
                continue;
            if (isAuto(cue.kind) && !cue.forward)
                backward = &cue;
            break;
        }
        // Both reach the mention: the forward cue keeps the first mention after it, a trailing cue
        // takes the rest ("possible effusion, pneumothorax has resolved").
        if (forward && backward) {
            bool first = true;
            for (const Mention &o : mentions)
                if (o.clause == m.clause && o.pos >= forward->end && o.pos < m.pos)
                    first = false;
            if (first)
                backward = nullptr;
            else
                forward = nullptr;
        }
        if (forward)
            apply(forward->kind);
        if (explained)
            unc = true;
        if (backward)
            apply(backward->kind);
        // "versus" marks the nearest mention on each side.
        for (const Cue &cue : cues) {
            if (cue.kind != CueKind::Versus || cue.clause != m.clause)
                continue;
            const bool before = m.pos < cue.start;
            bool nearest = true;
            for (const Mention &o : mentions) {
                if (&o == &m || o.clause != m.clause)
                    continue;
                if (before ? (o.pos > m.pos && o.pos < cue.start) : (o.pos >= cue.end && o.pos < m.pos))
                    nearest = false;
            }
            if (nearest)
                unc = true;
        }
        FindingLabel label = FindingLabel::Positive;
        if (m.fixed)
            label = m.base;
        else if (pre)
            label = FindingLabel::Uncertain;
        else if (neg)
            label = FindingLabel::Negative;
        else if (unc)
            label = FindingLabel::Uncertain;
        out->emplace_back(m, label);
    }
}

// All mentions of a report with their labels (including "other" findings).
std::vector<std::pair<Mention, FindingLabel>> labelMentions(
    std::string_view report, std::vector<Token> *tokensOut)
{
    const Tables &t = tables();
    std::vector<Token> tok = tokenize(report, t);
    std::vector<int> clauseOf(tok.size(), 0);
    std::vector<std::pair<Mention, FindingLabel>> out;
    int begin = 0;
    for (int i = 0; i < static_cast<int>(tok.size()); ++i) {
        if (tok[i].id != kSentenceEnd)
            continue;
        if (i > begin)
            labelSentence(tok, begin, i, clauseOf, t, &out);
        begin = i + 1;
    }
    if (tokensOut)
        *tokensOut = std::move(tok);
    return out;
}

} // namespace

const std::array<Observation, kObservationCount> &allObservations()
{
    static const std::array<Observation, kObservationCount> all = [] {
        std::array<Observation, kObservationCount> a {};
        for (size_t i = 0; i < kObservationCount; ++i)
            a[i] = static_cast<Observation>(i);
        return a;
    }();
    return all;
}

const char *observationName(Observation o)
{
    static const char *const kNames[kObservationCount] = {
        "No Finding",
        "Enlarged Cardiomediastinum",
        "Cardiomegaly",
        "Lung Opacity",
        "Lung Lesion",
        "Edema",
        "Consolidation",
        "Pneumonia",
        "Atelectasis",
        "Pneumothorax",
        "Pleural Effusion",
        "Pleural Other",
        "Fracture",
        "Support Devices",
    };
    const size_t i = observationIndex(o);
    return i < kObservationCount ? kNames[i] : "";
}

const char *findingLabelName(FindingLabel l)
{
    switch (l) {
    case FindingLabel::NotMentioned:
        return "not mentioned";
    case FindingLabel::Negative:
        return "negative";
    case FindingLabel::Uncertain:
        return "uncertain";
    case FindingLabel::Positive:
        return "positive";
    }
    return "";
}

FindingLabels labelReport(std::string_view report)
{
    FindingLabels labels;
    labels.fill(FindingLabel::NotMentioned);
    std::vector<Token> tok;
    const auto mentions = labelMentions(report, &tok);
    bool anyWord = false;
    for (const Token &tk : tok)
        anyWord = anyWord || tk.id != kSentenceEnd;
    if (!anyWord)
        return labels;

    auto raise = [&](int obs, FindingLabel l) { labels[obs] = std::max(labels[obs], l); };
    bool finding = false;
    for (const auto &[m, label] : mentions) {
        const bool present = label == FindingLabel::Positive || label == FindingLabel::Uncertain;
        if (present && m.target != kSD)
            finding = true;
        if (m.target == kOther)
            continue;
        raise(m.target, label);
        if (present && m.kind == MentionKind::HeartFailure)
            raise(kCM, FindingLabel::Uncertain);
    }
    if (!finding)
        labels[observationIndex(Observation::NoFinding)] = FindingLabel::Positive;
    return labels;
}

std::vector<FindingLabels> labelReports(const std::vector<std::string> &reports)
{
    std::vector<FindingLabels> out;
    out.reserve(reports.size());
    for (const std::string &r : reports)
        out.push_back(labelReport(r));
    return out;
}

std::vector<FindingMention> findMentions(std::string_view report)
{
    std::vector<Token> tok;
    const auto mentions = labelMentions(report, &tok);
    std::vector<FindingMention> out;
    for (const auto &[m, label] : mentions) {
        if (m.target == kOther)
            continue;
        out.push_back({static_cast<Observation>(m.target), label, tok[m.start].begin, tok[m.end - 1].end});
    }
    return out;
}

} // namespace fmw::eval
