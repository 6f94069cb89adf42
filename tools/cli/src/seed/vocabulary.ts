/** The words the demo data set is made of: names, places, products, reasons. Changing them changes every seed's data. */

export type Country = 'DE' | 'FR' | 'GB' | 'US' | 'NL' | 'ES' | 'IT';

export interface Locale {
  country: Country;
  language: string;
  currency: 'EUR' | 'GBP' | 'USD';
  weight: number;
  givenNames: readonly string[];
  familyNames: readonly string[];
  cities: ReadonlyArray<readonly [city: string, postalCode: string, region: string]>;
  streets: readonly string[];
  /** A mobile number of the country in E.164, from 8 or 9 random digits. */
  phone: (digits: (n: number) => string) => string;
  legalForm: string;
}

export const LOCALES: readonly Locale[] = [
  {
    country: 'DE', language: 'de', currency: 'EUR', weight: 25, legalForm: 'GmbH',
    givenNames: ['Anna', 'Lukas', 'Lena', 'Jonas', 'Marie', 'Felix', 'Sophie', 'Paul', 'Laura', 'Maximilian', 'Julia', 'Leon', 'Hannah', 'Tobias', 'Katrin', 'Jürgen'],
    familyNames: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann', 'Schulz', 'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann', 'Braun'],
    cities: [['Berlin', '10115', 'Berlin'], ['Hamburg', '20095', 'Hamburg'], ['München', '80331', 'Bayern'], ['Köln', '50667', 'Nordrhein-Westfalen'], ['Leipzig', '04109', 'Sachsen'], ['Stuttgart', '70173', 'Baden-Württemberg']],
    streets: ['Hauptstraße', 'Bahnhofstraße', 'Gartenweg', 'Lindenallee', 'Schillerstraße', 'Goethestraße'],
    phone: (d) => `+4915${['1', '2', '7'][Number(d(1)) % 3]}${d(8)}`,
  },
  {
    country: 'FR', language: 'fr', currency: 'EUR', weight: 15, legalForm: 'SAS',
    givenNames: ['Camille', 'Louis', 'Chloé', 'Hugo', 'Léa', 'Gabriel', 'Manon', 'Arthur', 'Inès', 'Jules', 'Élise', 'Nicolas'],
    familyNames: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent'],
    cities: [['Paris', '75002', 'Île-de-France'], ['Lyon', '69002', 'Auvergne-Rhône-Alpes'], ['Marseille', '13001', "Provence-Alpes-Côte d'Azur"], ['Toulouse', '31000', 'Occitanie'], ['Nantes', '44000', 'Pays de la Loire']],
    streets: ['rue de la Paix', 'avenue Victor Hugo', 'rue du Moulin', 'boulevard Voltaire', 'rue des Lilas'],
    phone: (d) => `+336${d(8)}`,
  },
  {
    country: 'GB', language: 'en', currency: 'GBP', weight: 15, legalForm: 'Ltd',
    givenNames: ['Oliver', 'Amelia', 'George', 'Isla', 'Harry', 'Ava', 'Jack', 'Emily', 'Charlie', 'Grace', 'Thomas', 'Freya'],
    familyNames: ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Evans', 'Walker', 'Wright', 'Hughes'],
    cities: [['London', 'EC1A 1BB', 'England'], ['Manchester', 'M1 1AE', 'England'], ['Bristol', 'BS1 4DJ', 'England'], ['Edinburgh', 'EH1 1YZ', 'Scotland'], ['Leeds', 'LS1 4AP', 'England']],
    streets: ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Mill Lane'],
    phone: (d) => `+447${['4', '5', '7', '8', '9'][Number(d(1)) % 5]}${d(8)}`,
  },
  {
    country: 'US', language: 'en', currency: 'USD', weight: 20, legalForm: 'Inc.',
    givenNames: ['James', 'Olivia', 'Michael', 'Emma', 'William', 'Sophia', 'Benjamin', 'Mia', 'Ethan', 'Harper', 'Daniel', 'Abigail'],
    familyNames: ['Miller', 'Davis', 'Garcia', 'Rodriguez', 'Martinez', 'Anderson', 'Jackson', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis'],
    cities: [['New York', '10001', 'NY'], ['San Francisco', '94103', 'CA'], ['Chicago', '60601', 'IL'], ['Austin', '73301', 'TX'], ['Boston', '02108', 'MA'], ['Seattle', '98101', 'WA']],
    streets: ['Main Street', 'Oak Avenue', 'Maple Drive', 'Park Avenue', 'Cedar Lane', 'Elm Street'],
    // Area codes in use; exchanges 2xx–9xx without 555 (fictional) or N11.
    phone: (d) => `+1${['212', '415', '312', '512', '617', '206'][Number(d(1)) % 6]}${String(200 + (Number(d(3)) % 354))}${d(4)}`,
  },
  {
    country: 'NL', language: 'nl', currency: 'EUR', weight: 10, legalForm: 'B.V.',
    givenNames: ['Daan', 'Emma', 'Sem', 'Julia', 'Lucas', 'Tess', 'Finn', 'Sanne', 'Bram', 'Fleur'],
    familyNames: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Mulder', 'de Boer'],
    cities: [['Amsterdam', '1012 AB', 'Noord-Holland'], ['Rotterdam', '3011 AD', 'Zuid-Holland'], ['Utrecht', '3511 AA', 'Utrecht'], ['Eindhoven', '5611 AA', 'Noord-Brabant']],
    streets: ['Kerkstraat', 'Dorpsstraat', 'Molenweg', 'Stationsplein', 'Prinsengracht'],
    phone: (d) => `+316${d(8)}`,
  },
  {
    country: 'ES', language: 'es', currency: 'EUR', weight: 8, legalForm: 'S.L.',
    givenNames: ['Lucía', 'Hugo', 'Martina', 'Mateo', 'Sofía', 'Pablo', 'Valeria', 'Álvaro', 'Carmen', 'Diego'],
    familyNames: ['García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Ruiz'],
    cities: [['Madrid', '28013', 'Madrid'], ['Barcelona', '08002', 'Cataluña'], ['Valencia', '46002', 'Valencia'], ['Sevilla', '41001', 'Andalucía']],
    streets: ['Calle Mayor', 'Calle del Sol', 'Avenida de la Constitución', 'Calle Real'],
    phone: (d) => `+346${d(8)}`,
  },
  {
    country: 'IT', language: 'it', currency: 'EUR', weight: 7, legalForm: 'S.r.l.',
    givenNames: ['Giulia', 'Leonardo', 'Sofia', 'Francesco', 'Aurora', 'Alessandro', 'Chiara', 'Lorenzo', 'Francesca', 'Matteo'],
    familyNames: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco'],
    cities: [['Milano', '20121', 'Lombardia'], ['Roma', '00184', 'Lazio'], ['Torino', '10121', 'Piemonte'], ['Bologna', '40121', 'Emilia-Romagna']],
    streets: ['Via Roma', 'Via Garibaldi', 'Corso Italia', 'Via Dante', 'Via Verdi'],
    phone: (d) => `+393${['3', '4', '8', '9'][Number(d(1)) % 4]}${d(8)}`,
  },
];

/** What the demo shop sells: sku, name, price in cents. */
export const SHOP_PRODUCTS: ReadonlyArray<readonly [sku: string, name: string, cents: number]> = [
  ['TEA-001', 'Sencha green tea, 100 g', 899],
  ['TEA-002', 'Assam breakfast tea, 250 g', 1149],
  ['TEA-003', 'Earl Grey, 100 g', 799],
  ['TEA-004', 'Rooibos vanilla, 100 g', 649],
  ['COF-001', 'Espresso beans, 1 kg', 2490],
  ['COF-002', 'Filter coffee, 500 g', 1390],
  ['COF-003', 'Decaf beans, 500 g', 1590],
  ['ACC-001', 'Cast iron teapot', 4900],
  ['ACC-002', 'Glass infuser mug', 1999],
  ['ACC-003', 'Pour-over dripper', 2450],
  ['ACC-004', 'Burr grinder', 12900],
  ['ACC-005', 'Gooseneck kettle', 7990],
  ['GFT-001', 'Tasting box, 12 teas', 3490],
  ['GFT-002', 'Gift card', 5000],
  ['SUB-001', 'Monthly coffee subscription', 2900],
];

export const REFUND_REASONS = ['damaged in transit', 'wrong item sent', 'not as described', 'changed my mind', 'arrived too late'] as const;

/** What the sales team sells: product, name, unit price in cents. */
export const DEAL_PRODUCTS: ReadonlyArray<readonly [productId: string, name: string, cents: number]> = [
  ['office-supply', 'Office coffee supply, per month', 45000],
  ['machine-lease', 'Espresso machine lease, per year', 180000],
  ['barista-training', 'Barista training day', 95000],
  ['private-label', 'Private-label tea, per 100 tins', 120000],
  ['event-catering', 'Event coffee bar', 250000],
  ['service-plan', 'Machine service plan, per year', 60000],
];

export const COMPANY_WORDS = ['Northwind', 'Blue Harbor', 'Alder', 'Kestrel', 'Lumen', 'Granite', 'Silverline', 'Brightwater', 'Ironbridge', 'Meridian', 'Oakridge', 'Pioneer', 'Riverstone', 'Summit', 'Tidewater', 'Vantage', 'Willow', 'Zenith', 'Copperfield', 'Foxglove'] as const;
export const INDUSTRIES: ReadonlyArray<readonly [suffix: string, industry: string]> = [
  ['Logistics', 'Logistics'], ['Foods', 'Food and beverage'], ['Retail', 'Retail'], ['Health', 'Healthcare'], ['Labs', 'Research'],
  ['Energy', 'Energy'], ['Works', 'Manufacturing'], ['Capital', 'Finance'], ['Media', 'Media'], ['Hotels', 'Hospitality'], ['Software', 'Software'],
];

export const LEAD_SOURCES: ReadonlyArray<readonly [source: string, weight: number, costFromCents: number, costToCents: number]> = [
  ['google-ads', 30, 2500, 9000],
  ['linkedin', 20, 6000, 15000],
  ['webinar', 20, 1500, 4500],
  ['trade-show', 10, 8000, 25000],
  ['referral', 10, 0, 0],
  ['website', 10, 300, 900],
];
export const DISQUALIFY_REASONS = ['no budget', 'student, not a buyer', 'outside our market', 'duplicate enquiry', 'no response after three attempts'] as const;
export const WIN_REASONS = ['best tasting results', 'price and service plan', 'existing relationship', 'fast delivery', 'sustainability record'] as const;
export const LOSS_REASONS = ['price too high', 'chose a competitor', 'no budget this year', 'no decision', 'timing: revisit next year'] as const;

export const PIPELINES = [
  {
    name: 'New business',
    weight: 60,
    stages: [
      { stageId: 'qualify', name: 'Qualify', probability: 10 },
      { stageId: 'discover', name: 'Discovery', probability: 25 },
      { stageId: 'propose', name: 'Proposal', probability: 50 },
      { stageId: 'negotiate', name: 'Negotiation', probability: 75 },
    ],
  },
  {
    name: 'Renewals',
    weight: 25,
    stages: [
      { stageId: 'due', name: 'Renewal due', probability: 60 },
      { stageId: 'quoted', name: 'Quote sent', probability: 80 },
      { stageId: 'signing', name: 'Signing', probability: 95 },
    ],
  },
  {
    name: 'Partnerships',
    weight: 15,
    stages: [
      { stageId: 'intro', name: 'Introduction', probability: 5 },
      { stageId: 'pilot', name: 'Pilot', probability: 30 },
      { stageId: 'contract', name: 'Contract', probability: 70 },
    ],
  },
] as const;

export const TEAMS = ['Inside sales', 'Key accounts'] as const;
export const REP_NAMES = ['Alex Morgan', 'Sam Rivera', 'Jordan Lee', 'Taylor Brooks', 'Casey Nguyen', 'Robin Weiss', 'Noa Laurent', 'Kim Jansen', 'Jamie Rossi', 'Drew Patel', 'Avery Kowalski', 'Charlie Dubois'] as const;
