"""Fictitious names with real-world variety, for the bulk sample data.

Common surnames first (the generator weights them by rank, so "Smith" is about
as common as in England), then names with apostrophes, hyphens, spaces and
accents, then thousands of plausible rarer surnames made from English place-name
parts, so a million people do not share a few hundred surnames.
"""

from __future__ import annotations

# In rough order of frequency; the generator weights by rank.
SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
    "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
    "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
    "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy",
    "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
    "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali",
    "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight",
    "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
    "Ahmed", "Graham", "Pearson", "Ahmad", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews",
    "Stewart", "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks",
    "West", "Lawrence", "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton",
    "O'Brien", "Watts", "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis",
    "Rees", "Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr",
    "Lowe", "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid",
    "Holland", "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy", "Williamson",
    "Bird", "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson", "Parry", "Burgess",
    "Bishop", "Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren",
    "Nicholls", "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson", "Robson", "Curtis", "Hopkins",
    "O'Connor", "Harper", "Coleman", "Watkins", "Moss", "McCarthy", "Chambers", "O'Neill", "Griffin", "Sharp",
    "Hardy", "Wheeler", "Potter", "Osborne", "Johnston", "Gordon", "Doyle", "Wallace", "George", "Jordan",
    "Hutchinson", "Rowe", "Burke", "May", "Pritchard", "Gilbert", "Willis", "Higgins", "Read", "Miah",
    "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
    "Szymański", "Woźniak", "Dąbrowski", "Łukasiewicz", "Kozłowski", "Jankowski", "Mazur", "Krawczyk",
    "Nguyen", "Nguyễn", "Trần", "Lê", "Phạm", "Okafor", "Mensah", "Owusu", "Adeyemi", "Okonkwo",
    "Boateng", "Asante", "Mohamed", "Abdi", "Yusuf", "Hassan", "Osman", "Rahman", "Islam", "Uddin",
    "Chowdhury", "Sharma", "Gupta", "Kumar", "Mistry", "Parmar", "Chauhan", "Sandhu", "Dhillon", "Bains",
    "García", "Rodríguez", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Núñez", "Muñoz",
    "Gonçalves", "Da Silva", "Dos Santos", "Pereira", "Conceição", "Ferreira", "Simões", "Araújo",
    "Müller", "Schmidt", "Schröder", "Weiß", "Köhler", "Jäger", "Van der Berg", "Van Dijk", "De Vries",
    "De Jong", "Lefèvre", "Dubois", "Lefebvre", "Gauthier", "D'Souza", "D'Silva", "D'Arcy", "De'Ath",
    "Đorđević", "Petrović", "Jovanović", "Popescu", "Horváth", "Nagy", "Dvořák", "Novák", "Yılmaz",
    "Öztürk", "Çelik", "Şahin", "Papadopoulos", "Ó Súilleabháin", "Ní Bhriain", "Mac Giolla Phádraig",
    "Ó Ceallaigh", "Mac Mathúna", "Ó Briain", "MacLeod", "MacKenzie", "Mac an tSaoir", "St John",
    "St Clair", "Le Blanc", "La Touche", "Fitz-Gerald", "Rees-Mogg", "Lloyd-Webber", "Bowes-Lyon",
    "Ap Rhys", "Ab Owen", "Nic Ghiolla", "Al-Hassan", "Al-Amin", "El-Sayed", "Abu-Bakr", "Ben-David",
    "Kaczmarek", "Grabowski", "Pawłowski", "Michalski", "Król", "Wieczorek", "Jabłoński", "Wróbel",
)

# Parts of English place names: "Ash" + "worth" = "Ashworth". Thousands of rarer surnames.
SURNAME_STARTS = (
    "Ash", "Brad", "Brook", "Cald", "Dun", "Elm", "Fair", "Glad", "Hal", "Hart", "Ink", "Kings", "Lang",
    "Mar", "Nor", "Oak", "Pem", "Ram", "Rad", "Sand", "Shel", "Stan", "Thorn", "Ux", "Wal", "Wen",
    "Whit", "Wind", "Wolver", "Yar", "Bar", "Bel", "Black", "Bram", "Cheal", "Cran", "Craw", "Dal",
    "Dray", "East", "Fen", "Fox", "Gar", "Gold", "Green", "Ham", "Hay", "Hol", "Hun", "Kil", "Kirk",
    "Lam", "Lid", "Mid", "Mill", "Mos", "New", "Nut", "Pad", "Pick", "Rock", "Rus", "Sal", "Saw",
)
SURNAME_ENDS = (
    "worth", "ley", "ton", "field", "ford", "wood", "by", "ham", "well", "more", "combe", "den", "hurst",
    "bury", "stead", "wick", "cott", "dale", "gate", "holme", "land", "low", "marsh", "mere", "ridge",
    "shaw", "thwaite", "lock", "brook", "bridge", "er", "man", "ing", "ington", "ett", "ney",
)

FORENAMES_MALE = (
    "Oliver", "Jack", "Harry", "Mohammed", "Charlie", "Thomas", "James", "William", "Daniel", "Joshua",
    "George", "Jacob", "Alfie", "Noah", "Oscar", "Leo", "Freddie", "Archie", "Ethan", "Samuel",
    "Joseph", "Henry", "Lucas", "Max", "Isaac", "Dylan", "Liam", "Adam", "Ryan", "Luke",
    "Robert", "Michael", "David", "John", "Richard", "Paul", "Mark", "Andrew", "Stephen", "Christopher",
    "Matthew", "Anthony", "Kevin", "Lee", "Craig", "Jamie", "Kieran", "Connor", "Callum", "Aaron",
    "Seán", "Séamus", "Eoin", "Cian", "Pádraig", "Ciarán", "Niall", "Ruairí", "Oisín", "Tadhg",
    "Łukasz", "Piotr", "Tomasz", "Krzysztof", "Paweł", "Michał", "Jakub", "Mateusz", "Andrzej", "Wojciech",
    "Kwame", "Kofi", "Chidi", "Emeka", "Tunde", "Abdullahi", "Yusuf", "Omar", "Ibrahim", "Hamza",
    "Ravi", "Arjun", "Rohan", "Aarav", "Harpreet", "Gurpreet", "Jean-Luc", "Jean-Pierre", "José", "João",
    "Andrés", "Álvaro", "Jürgen", "Björn", "Søren", "Zoltán", "Mehmet", "Emre", "Nikolaos", "Dmitri",
    "Bob", "Billy", "Tommy", "Danny", "Jimmy", "Mo", "D'Andre", "Ty'rell", "Jean-Baptiste", "Kai",
)
FORENAMES_FEMALE = (
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Mia", "Poppy", "Ella",
    "Lily", "Evie", "Isabella", "Jessica", "Sophia", "Chloe", "Charlotte", "Ruby", "Freya", "Daisy",
    "Sarah", "Emma", "Laura", "Rebecca", "Hannah", "Amy", "Lauren", "Megan", "Katie", "Jade",
    "Chloë", "Zoë", "Noémie", "Anaïs", "Siobhán", "Aoife", "Niamh", "Saoirse", "Róisín", "Caoimhe",
    "Aisha", "Fatima", "Maryam", "Zainab", "Khadija", "Amina", "Priya", "Ananya", "Simran", "Harleen",
    "Ewa", "Agnieszka", "Małgorzata", "Katarzyna", "Zofia", "Łucja", "Magdalena", "Joanna", "Dorota", "Alicja",
    "Mary-Jane", "Anne-Marie", "Lily-Rose", "Ella-Mae", "Sophie-Louise", "Marie-Claire", "Ana-Maria",
    "Ngozi", "Chiamaka", "Adaeze", "Abena", "Akosua", "Ifeoma", "María", "Lucía", "Inês", "Beatriz",
    "Björk", "Søs", "Ilse", "Jördis", "Ayşe", "Elif", "Zeynep", "Eleni", "Anastasia", "Natalia",
    "Liz", "Kate", "Becky", "Jess", "Vicky", "Sam", "Nicole", "Shannon", "Kayleigh", "Leah",
)
