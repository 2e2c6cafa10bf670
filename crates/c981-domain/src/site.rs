//! A site: one plant of the manufacturer.

use serde::{Deserialize, Serialize};

use crate::choices;
use crate::entity::{Entity, EntityKind, loose_list, opt};
use crate::error::{Errors, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::SiteId;
use crate::values::{CountryCode, Name, SiteCode, Text, TimeZoneName, string_enum};

string_enum! {
    /// The industry a site works in; it shapes which impacts and regulations matter.
    Industry {
        Pharma = "pharma" / "Pharmaceuticals",
        MedicalDevices = "medical_devices" / "Medical devices",
        FoodBeverage = "food_beverage" / "Food and beverage",
        Aerospace = "aerospace" / "Aerospace",
        Automotive = "automotive" / "Automotive",
        Chemicals = "chemicals" / "Chemicals",
        OilGas = "oil_gas" / "Oil and gas",
        Energy = "energy" / "Energy and utilities",
        Water = "water" / "Water and wastewater",
        Metals = "metals" / "Metals and mining",
        Semiconductors = "semiconductors" / "Electronics and semiconductors",
        Discrete = "discrete" / "Discrete manufacturing",
        Packaging = "packaging" / "Packaging",
        PulpPaper = "pulp_paper" / "Pulp and paper",
        Other = "other" / "Other",
    }
}

string_enum! {
    /// A regulatory regime that applies to a site.
    Regulation {
        Gxp = "gxp" / "GxP (GMP, GLP, GDP)",
        Part11 = "cfr_part11" / "21 CFR Part 11",
        Annex11 = "eu_gmp_annex11" / "EU GMP Annex 11",
        As9100 = "as9100" / "AS9100 (aerospace quality)",
        ExportControl = "export_control" / "Export control (ITAR, EAR)",
        FoodSafety = "food_safety" / "Food safety (FSMA, IFS, BRCGS)",
        Nis2 = "nis2" / "NIS2",
        NercCip = "nerc_cip" / "NERC CIP",
        Seveso = "seveso" / "Seveso III",
    }
}

/// A plant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    pub code: SiteCode,
    pub name: Name,
    pub country: CountryCode,
    pub time_zone: TimeZoneName,
    pub industry: Industry,
    pub regulations: Vec<Regulation>,
    pub description: Text,
}

/// A site as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub country: Option<String>,
    pub time_zone: Option<String>,
    pub industry: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub regulations: Vec<String>,
    pub description: Option<String>,
}

impl Entity for Site {
    type Id = SiteId;
    type Input = SiteInput;
    const KIND: EntityKind = EntityKind::Site;

    fn id_from_raw(raw: i64) -> SiteId {
        SiteId::new(raw)
    }

    fn parse(i: &SiteInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let code = e.take("code", SiteCode::parse(opt(&i.code)));
        let name = e.take("name", Name::parse(opt(&i.name)));
        let country = e.take("country", CountryCode::parse(opt(&i.country)));
        let time_zone = e.take("time_zone", TimeZoneName::parse(opt(&i.time_zone)));
        let industry = e.take("industry", Industry::parse(opt(&i.industry)));
        let mut regulations = e.list("regulations", &i.regulations, Regulation::parse);
        let description = e.take("description", Text::parse(opt(&i.description)));
        if let Some(r) = regulations.as_mut() {
            r.sort();
            r.dedup();
        }
        e.finish()?;
        Ok(Site {
            code: code.unwrap(),
            name: name.unwrap(),
            country: country.unwrap(),
            time_zone: time_zone.unwrap(),
            industry: industry.unwrap(),
            regulations: regulations.unwrap(),
            description: description.unwrap(),
        })
    }

    fn to_input(&self) -> SiteInput {
        SiteInput {
            code: Some(self.code.to_string()),
            name: Some(self.name.to_string()),
            country: Some(self.country.as_str().into()),
            time_zone: Some(self.time_zone.as_str().into()),
            industry: Some(self.industry.as_str().into()),
            regulations: self.regulations.iter().map(|r| r.as_str().into()).collect(),
            description: Some(self.description.as_str().into()),
        }
    }

    fn site_id(&self) -> Option<SiteId> {
        None
    }

    fn display_name(&self) -> String {
        format!("{} – {}", self.code, self.name)
    }

    fn fields() -> &'static [F] {
        static FIELDS: &[F] = &[
            F::new("code", "Code", K::Text).required().column().help("2–16 letters, digits, '-' or '_'; e.g. LYON-1"),
            F::new("name", "Name", K::Text).required().column(),
            F::new("country", "Country", K::Text).required().column().help("ISO 3166-1 alpha-2, e.g. FR"),
            F::new("time_zone", "Time zone", K::Text).required().help("IANA name, e.g. Europe/Paris"),
            F::new("industry", "Industry", K::Choice(choices!(Industry))).required().column(),
            F::new("regulations", "Regulations", K::MultiChoice(choices!(Regulation))).column(),
            F::new("description", "Description", K::LongText),
        ];
        FIELDS
    }
}
