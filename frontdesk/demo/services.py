"""Demo data: a hotel and short-term-rental support team with a few hundred tickets.

`frontdesk serve --demo` and `frontdesk demo` load it into an empty database.
Everything is written through the real services, so the demo exercises the same
paths as production: audit events, domain events, statuses and their
transitions. Given a seed and `now`, the data is the same on every run (the
admin's password is the one thing generated afresh).
"""

import random
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from frontdesk.accounts.models import Contact, IdentityKind, Organisation, Role, Team, User
from frontdesk.accounts.services import (
    contact_create,
    contact_get_or_create,
    contact_merge,
    organisation_create,
    team_create,
    user_create,
)
from frontdesk.notifications.models import Notification, StaffEmail
from frontdesk.routing.models import IntervalKind, WorkInterval
from frontdesk.routing.services import routing_profile_update
from frontdesk.sla.services import TargetInput, calendar_save, contract_save, holiday_add, policy_save
from frontdesk.surveys.models import FollowUp, InvitationStatus, Survey, SurveyKind, Topic, Trigger
from frontdesk.surveys.services import (
    QuestionInput,
    answers_record,
    followup_close,
    invitation_schedule,
    language_for,
    programme,
    programme_update,
    survey_save,
    surveyed_within,
)
from frontdesk.tickets.models import BookingChannel, BookingStage, Channel, Outcome, Status, Ticket
from frontdesk.tickets.services import (
    ticket_add_customer_message,
    ticket_add_note,
    ticket_create,
    ticket_escalate_to_manager,
    ticket_escalate_to_team,
    ticket_reply,
    ticket_resolve_escalation,
    ticket_update,
)

ADMIN_EMAIL = "admin@frontdesk.demo"
DOMAIN = "frontdesk.demo"

# (e-mail local part, name, role, language)
AGENTS = [
    ("admin", "Alex Morgan", Role.ADMIN, "en"),
    ("isabel", "Isabel Moreno", Role.SUPERVISOR, "es"),
    ("mantas", "Mantas Vaitkus", Role.SUPERVISOR, "lt"),
    ("lucia", "Lucía Fernández", Role.AGENT, "es"),
    ("carlos", "Carlos Ruiz", Role.AGENT, "es"),
    ("marta", "Marta Gómez", Role.AGENT, "es"),
    ("jonas", "Jonas Petrauskas", Role.AGENT, "lt"),
    ("ruta", "Rūta Kazlauskienė", Role.AGENT, "lt"),
    ("aiste", "Aistė Jankauskaitė", Role.AGENT, "lt"),
    ("emma", "Emma Clarke", Role.AGENT, "en"),
    ("tom", "Tom Bennett", Role.AGENT, "en"),
    ("oliver", "Oliver Hughes", Role.AGENT, "en"),
    ("priya", "Priya Shah", Role.AGENT, "en"),
    ("dovile", "Dovilė Stankevičiūtė", Role.LIGHT_AGENT, "lt"),  # housekeeping: adds notes only
]

# (name, lead, members)
TEAMS = [
    ("Guest support", "lucia", ["lucia", "carlos", "jonas", "emma", "tom", "priya", "dovile"]),
    ("Owner support", "ruta", ["ruta", "marta", "oliver", "isabel"]),
    ("Billing", "aiste", ["aiste", "marta", "tom", "mantas"]),
    ("Tier 2", "oliver", ["oliver", "jonas", "priya", "isabel", "mantas"]),
    ("Night desk", "emma", ["emma", "carlos", "aiste"]),
]

# Who receives what (routing profiles, RT1), as the admin set them on each agent's card. As in
# seed 001, one agent takes only pre-check-in conversations from Airbnb guests; the others
# by team, language, booking stage or priority. Supervisors and the admin take no tickets.
ROUTING: dict[str, dict[str, Any]] = {
    "carlos": {"booking_stages": [BookingStage.PRE_CHECK_IN], "booking_channels": [BookingChannel.AIRBNB]},
    "lucia": {"teams": ["Guest support"], "languages": ["es", "en"]},
    "marta": {"teams": ["Billing", "Owner support"], "languages": ["es", "en"]},
    "jonas": {"languages": ["lt", "en"]},
    "ruta": {"teams": ["Owner support"], "languages": ["lt", "en"]},
    "aiste": {"teams": ["Billing"], "capacity": 10},
    "emma": {"teams": ["Night desk", "Guest support"]},
    "tom": {"priorities": ["low", "normal", "high"]},
    "oliver": {"teams": ["Tier 2"]},
    "priya": {"booking_stages": [BookingStage.PRE_BOOKING, BookingStage.POST_BOOKING]},
}
# When each agent's shift usually starts (UTC hour); Emma runs the night desk.
SHIFT_START = {"emma": 20}
BOOKED_SHARE = 0.4  # of the pre-booking inquiries that ended, the share that became a booking

# (name, e-mail domain, region, language)
ORGANISATIONS = [
    ("Casa Sol Apartments", "casasol.es", "Spain — Málaga", "es"),
    ("Marina Suites Valencia", "marinasuites.es", "Spain — Valencia", "es"),
    ("Barcelona Loft Rentals", "bcnlofts.es", "Spain — Barcelona", "es"),
    ("Hotel Mirador Granada", "hotelmirador.es", "Spain — Granada", "es"),
    ("Sevilla Patio Homes", "patiohomes.es", "Spain — Seville", "es"),
    ("Madrid Centro Stays", "madridcentro.es", "Spain — Madrid", "es"),
    ("Ibiza Blue Villas", "ibizablue.es", "Spain — Balearic Islands", "es"),
    ("Vilnius Old Town Stays", "vilniusstays.lt", "Lithuania — Vilnius", "lt"),
    ("Palanga Seaside Apartments", "palangaseaside.lt", "Lithuania — Palanga", "lt"),
    ("Kaunas Loft Hotel", "kaunasloft.lt", "Lithuania — Kaunas", "lt"),
    ("Nida Dune Cottages", "nidadune.lt", "Lithuania — Neringa", "lt"),
    ("Trakai Lakeside Rooms", "trakailake.lt", "Lithuania — Trakai", "lt"),
    ("Camden Short Lets", "camdenlets.co.uk", "UK — London", "en"),
    ("Edinburgh Castle View", "castleview.co.uk", "UK — Edinburgh", "en"),
    ("Bath Georgian Homes", "georgianhomes.co.uk", "UK — Bath", "en"),
    ("Cornwall Harbour Cottages", "harbourcottages.co.uk", "UK — Cornwall", "en"),
    ("Manchester City Apartments", "mcrapartments.co.uk", "UK — Manchester", "en"),
    ("Lisbon Tile House", "tilehouse.pt", "Portugal — Lisbon", "en"),
    ("Porto Riverside Flats", "portoriverside.pt", "Portugal — Porto", "en"),
    ("Riga Art Nouveau Suites", "artnouveau.lv", "Latvia — Riga", "en"),
]

FIRST_NAMES = {
    "en": ["James", "Olivia", "Harry", "Amelia", "George", "Isla", "Jack", "Sophie", "Noah", "Grace", "Liam", "Chloe"],
    "es": [
        "Javier",
        "María",
        "Pablo",
        "Carmen",
        "Diego",
        "Elena",
        "Álvaro",
        "Laura",
        "Sergio",
        "Paula",
        "Raúl",
        "Nuria",
    ],
    "lt": ["Lukas", "Gabija", "Matas", "Austėja", "Dominykas", "Emilija", "Tomas", "Ieva", "Karolis", "Eglė", "Rokas"],
}
LAST_NAMES = {
    "en": ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Walker", "Wright", "Robinson", "Hall"],
    "es": ["García", "Martínez", "López", "Sánchez", "Pérez", "Romero", "Navarro", "Torres", "Domínguez", "Vázquez"],
    "lt": [
        "Kazlauskas",
        "Jankauskas",
        "Petrauskas",
        "Stankevičius",
        "Vasiliauskas",
        "Žukauskas",
        "Butkus",
        "Paulauskas",
    ],
}
GUEST_DOMAINS = {
    "en": ["gmail.com", "outlook.com", "icloud.com", "btinternet.com"],
    "es": ["gmail.com", "hotmail.es", "yahoo.es", "telefonica.net"],
    "lt": ["gmail.com", "inbox.lt", "one.lt", "yahoo.com"],
}
PHONE_PREFIX = {"en": "+44 7", "es": "+34 6", "lt": "+370 6"}
CONTACT_LANGUAGES = ["en"] * 5 + ["es"] * 3 + ["lt"] * 2


@dataclass(frozen=True)
class Scenario:
    team: str
    booking_stage: str  # "" for owners, who are not on a booking
    type: str
    priority: str
    tags: tuple[str, ...]
    texts: dict[str, tuple[str, str, str]]  # language -> (subject, customer's message, agent's reply)


S = Scenario
# fmt: off
SCENARIOS = [
    S("Guest support", "pre_check_in", "question", "normal", ("late-check-in", "keys"), {
        "en": ("Late check-in tonight", "Hi, our flight is delayed and we will only arrive around 23:30. Can we still check in? How do we get the keys?", "No problem at all: check-in is self-service. You will receive the key box code by message on the day of arrival. Safe travels!"),  # noqa: E501
        "es": ("Llegada tarde esta noche", "Hola, nuestro vuelo se ha retrasado y llegaremos sobre las 23:30. ¿Podemos hacer el check-in igualmente? ¿Cómo recogemos las llaves?", "Sin problema: el check-in es autónomo. Recibiréis el código de la caja de llaves el día de llegada. ¡Buen viaje!"),  # noqa: E501
        "lt": ("Vėlyvas atvykimas šiąnakt", "Sveiki, mūsų skrydis vėluoja, atvyksime tik apie 23:30. Ar vis tiek galėsime įsiregistruoti? Kaip gausime raktus?", "Jokių problemų – įsiregistravimas savarankiškas. Raktų dėžutės kodą gausite žinute atvykimo dieną. Geros kelionės!"),  # noqa: E501
    }),
    S("Guest support", "in_stay", "incident", "urgent", ("keys", "access"), {
        "en": ("Key box code does not work", "We are standing at the door and the key box code 4821 does not open the box. Please help, it is raining.", "Sorry about that! The code was changed this morning: please try 7395 and press the lock button firmly. I will stay on the line until you are in."),  # noqa: E501
        "es": ("El código de la caja de llaves no funciona", "Estamos en la puerta y el código 4821 no abre la caja de llaves. Ayuda, por favor, está lloviendo.", "¡Lo sentimos! El código se cambió esta mañana: probad con 7395 y pulsad bien el botón. Sigo aquí hasta que entréis."),  # noqa: E501
        "lt": ("Neveikia raktų dėžutės kodas", "Stovime prie durų, o kodas 4821 neatidaro raktų dėžutės. Padėkite, lyja.", "Atsiprašome! Kodas šįryt buvo pakeistas: bandykite 7395 ir tvirtai paspauskite mygtuką. Būsiu čia, kol pateksite vidun."),  # noqa: E501
    }),
    S("Billing", "post_booking", "question", "normal", ("refund", "cancellation"), {
        "en": ("Refund for cancelled booking", "I cancelled my booking 10 days before arrival, which should be free under your policy, but I have not received the refund yet.", "You are right, the cancellation was free. I have issued the full refund today; your bank should show it within 5–7 working days."),  # noqa: E501
        "es": ("Reembolso por reserva cancelada", "Cancelé mi reserva 10 días antes de la llegada, lo cual debería ser gratuito según vuestra política, pero todavía no he recibido el reembolso.", "Tienes razón, la cancelación era gratuita. Hoy he emitido el reembolso completo; tu banco lo mostrará en 5–7 días laborables."),  # noqa: E501
        "lt": ("Pinigų grąžinimas už atšauktą užsakymą", "Atšaukiau užsakymą likus 10 dienų iki atvykimo – pagal jūsų taisykles tai nemokama, tačiau pinigų dar negavau.", "Jūs teisūs, atšaukimas buvo nemokamas. Šiandien grąžinau visą sumą; banke ji turėtų atsirasti per 5–7 darbo dienas."),  # noqa: E501
    }),
    S("Billing", "post_booking", "problem", "high", ("payment", "double-charge"), {
        "en": ("Charged twice for my stay", "My credit card statement shows two charges of €412 for the same reservation. Please refund one of them.", "Thank you for the screenshot. The second charge was a pre-authorisation that was not released; I have cancelled it and it will disappear within a few days."),  # noqa: E501
        "es": ("Me habéis cobrado dos veces", "En el extracto de mi tarjeta aparecen dos cargos de 412 € por la misma reserva. Por favor, devolved uno.", "Gracias por la captura. El segundo cargo era una preautorización que no se liberó; la he anulado y desaparecerá en unos días."),  # noqa: E501
        "lt": ("Nuskaitė du kartus", "Kortelės išraše matau du 412 € mokėjimus už tą patį užsakymą. Prašau grąžinti vieną jų.", "Ačiū už ekrano nuotrauką. Antrasis mokėjimas buvo nepanaikintas išankstinis autorizavimas; jį atšaukiau, per kelias dienas jis dings."),  # noqa: E501
    }),
    S("Guest support", "pre_check_in", "question", "low", ("parking",), {
        "en": ("Is there parking at the apartment?", "We are coming by car. Is a parking space included, and how do we get into the garage?", "Yes, space number 14 in the underground garage is yours. The garage remote is in the kitchen drawer; the entrance is on the side street."),  # noqa: E501
        "es": ("¿Hay aparcamiento en el apartamento?", "Vamos en coche. ¿Está incluida una plaza de aparcamiento y cómo se entra al garaje?", "Sí, la plaza 14 del garaje subterráneo es vuestra. El mando está en el cajón de la cocina; la entrada está en la calle lateral."),  # noqa: E501
        "lt": ("Ar yra automobilių stovėjimo vieta?", "Atvyksime automobiliu. Ar į kainą įskaičiuota vieta garaže ir kaip į jį patekti?", "Taip, požeminiame garaže jums skirta 14 vieta. Garažo pultelis – virtuvės stalčiuje, įvažiavimas iš šoninės gatvės."),  # noqa: E501
    }),
    S("Guest support", "in_stay", "incident", "high", ("wifi",), {
        "en": ("Wifi not working", "The wifi in the apartment keeps disconnecting and I need it for work calls. The router lights are orange.", "Please unplug the router for 30 seconds and plug it back in. If the lights stay orange, our technician can come by this afternoon."),  # noqa: E501
        "es": ("El wifi no funciona", "El wifi del apartamento se desconecta continuamente y lo necesito para trabajar. Las luces del router están en naranja.", "Desenchufa el router 30 segundos y vuelve a enchufarlo. Si las luces siguen en naranja, nuestro técnico puede pasar esta tarde."),  # noqa: E501
        "lt": ("Neveikia belaidis internetas", "Apartamentuose nuolat dingsta wifi ryšys, o man jo reikia darbo skambučiams. Maršrutizatoriaus lemputės oranžinės.", "Prašome 30 sekundžių ištraukti maršrutizatorių iš lizdo ir vėl įjungti. Jei lemputės liks oranžinės, technikas gali užsukti šią popietę."),  # noqa: E501
    }),
    S("Billing", "post_stay", "question", "normal", ("deposit", "damage"), {
        "en": ("Damage deposit not returned", "We checked out a week ago and left the flat spotless, but the €300 damage deposit is still blocked on my card.", "The inspection found no damage, so I have released the deposit today. Thank you for taking such good care of the apartment!"),  # noqa: E501
        "es": ("No me han devuelto la fianza", "Dejamos el piso impecable hace una semana, pero la fianza de 300 € sigue bloqueada en mi tarjeta.", "La inspección no encontró daños, así que hoy he liberado la fianza. ¡Gracias por cuidar tan bien el apartamento!"),  # noqa: E501
        "lt": ("Negrąžintas užstatas", "Išsiregistravome prieš savaitę ir palikome butą švarų, tačiau 300 € užstatas vis dar užblokuotas kortelėje.", "Apžiūros metu žalos nerasta, todėl šiandien užstatą atlaisvinau. Ačiū, kad taip gerai prižiūrėjote butą!"),  # noqa: E501
    }),
    S("Owner support", "", "problem", "high", ("owner", "payout"), {
        "en": ("Owner payout missing for last month", "Our monthly payout for the Marina apartments has not arrived. The statement says it was sent on the 5th.", "The payout bounced because the IBAN on file was closed. Please confirm the new account in the owner portal and we will resend it the same day."),  # noqa: E501
        "es": ("No ha llegado la liquidación del mes pasado", "No hemos recibido la liquidación mensual de los apartamentos Marina. El extracto dice que se envió el día 5.", "La transferencia fue devuelta porque el IBAN registrado estaba cerrado. Confirmad la nueva cuenta en el portal de propietarios y la reenviaremos el mismo día."),  # noqa: E501
        "lt": ("Negautas praėjusio mėnesio išmokėjimas savininkui", "Negavome mėnesinio išmokėjimo už Marina apartamentus. Ataskaitoje parašyta, kad jis išsiųstas 5 dieną.", "Pavedimas grįžo, nes nurodyta IBAN sąskaita uždaryta. Patvirtinkite naują sąskaitą savininkų portale ir išmokėjimą persiųsime tą pačią dieną."),  # noqa: E501
    }),
    S("Owner support", "", "incident", "urgent", ("owner", "calendar-sync"), {
        "en": ("Calendar sync with Airbnb stopped", "Since Monday our Airbnb calendar no longer syncs and we had a double booking on the 14th. The iCal link shows an error.", "Airbnb rotated the export link for your listing. I have updated it on our side and forced a sync; the calendars match again."),  # noqa: E501
        "es": ("Se ha parado la sincronización del calendario con Airbnb", "Desde el lunes el calendario de Airbnb no se sincroniza y hemos tenido una doble reserva el día 14. El enlace iCal da error.", "Airbnb cambió el enlace de exportación de vuestro anuncio. Lo he actualizado y he forzado una sincronización; los calendarios vuelven a coincidir."),  # noqa: E501
        "lt": ("Nustojo sinchronizuotis Airbnb kalendorius", "Nuo pirmadienio Airbnb kalendorius nebesisinchronizuoja – 14 dieną gavome dvigubą užsakymą. iCal nuoroda rodo klaidą.", "Airbnb pakeitė jūsų skelbimo eksporto nuorodą. Atnaujinau ją mūsų pusėje ir priverstinai sinchronizavau – kalendoriai vėl sutampa."),  # noqa: E501
    }),
    S("Owner support", "", "question", "normal", ("owner", "maintenance"), {
        "en": ("Question about a maintenance invoice", "We received an invoice for €280 for a boiler pump in flat 3B. Nobody asked for our approval; can you explain?", "The repair was urgent because the guests had no hot water, and our agreement allows urgent repairs up to €300. The technician's report is attached to your statement."),  # noqa: E501
        "es": ("Duda sobre una factura de mantenimiento", "Hemos recibido una factura de 280 € por una bomba de la caldera del piso 3B. Nadie nos pidió autorización; ¿nos lo podéis explicar?", "La reparación era urgente porque los huéspedes no tenían agua caliente, y el contrato permite reparaciones urgentes de hasta 300 €. El informe del técnico está en vuestro extracto."),  # noqa: E501
        "lt": ("Klausimas dėl remonto sąskaitos", "Gavome 280 € sąskaitą už katilo siurblį 3B bute. Niekas neprašė mūsų sutikimo – gal galite paaiškinti?", "Remontas buvo skubus, nes svečiai neturėjo karšto vandens, o sutartis leidžia skubius remontus iki 300 €. Techniko ataskaita pridėta prie jūsų išrašo."),  # noqa: E501
    }),
    S("Guest support", "pre_check_in", "question", "normal", ("early-check-in",), {
        "en": ("Early check-in possible?", "We land at 9 in the morning. Could we drop our bags or check in early?", "The apartment will be ready from 12:00, and you are welcome to leave your bags at our office on the ground floor before then."),  # noqa: E501
        "es": ("¿Es posible el check-in temprano?", "Aterrizamos a las 9 de la mañana. ¿Podemos dejar las maletas o entrar antes?", "El apartamento estará listo a partir de las 12:00 y antes podéis dejar las maletas en nuestra oficina de la planta baja."),  # noqa: E501
        "lt": ("Ar galima įsiregistruoti anksčiau?", "Nusileisime 9 val. ryto. Ar galime palikti lagaminus arba įsiregistruoti anksčiau?", "Butas bus paruoštas nuo 12:00, o iki tol lagaminus galite palikti mūsų biure pirmame aukšte."),  # noqa: E501
    }),
    S("Guest support", "in_stay", "incident", "high", ("cleaning", "complaint"), {
        "en": ("Apartment was not cleaned", "We arrived and found the beds unmade and dirty towels in the bathroom. This is not acceptable.", "I am very sorry. A cleaner is on the way and will be there within the hour, and we have refunded one night as an apology."),  # noqa: E501
        "es": ("El apartamento no estaba limpio", "Al llegar encontramos las camas sin hacer y toallas sucias en el baño. Esto no es aceptable.", "Lo siento muchísimo. Una persona de limpieza va de camino y llegará en menos de una hora; además, os hemos reembolsado una noche como disculpa."),  # noqa: E501
        "lt": ("Butas nebuvo sutvarkytas", "Atvykę radome nepaklotas lovas ir nešvarius rankšluosčius vonioje. Tai nepriimtina.", "Labai atsiprašome. Valytoja jau pakeliui ir atvyks per valandą, o atsiprašydami grąžinome vienos nakties kainą."),  # noqa: E501
    }),
    S("Billing", "post_stay", "task", "low", ("invoice",), {
        "en": ("Invoice with company details", "Could you send me an invoice for my stay with our company name and VAT number? The details are below.", "Here is the invoice with your company details. Let me know if anything needs correcting."),  # noqa: E501
        "es": ("Factura con datos de empresa", "¿Podéis enviarme una factura de la estancia con el nombre de la empresa y el NIF? Os dejo los datos abajo.", "Os envío la factura con los datos de vuestra empresa. Decidme si hay que corregir algo."),  # noqa: E501
        "lt": ("Sąskaita faktūra su įmonės rekvizitais", "Ar galėtumėte atsiųsti sąskaitą faktūrą už viešnagę su mūsų įmonės pavadinimu ir PVM kodu? Rekvizitai žemiau.", "Siunčiame sąskaitą faktūrą su jūsų įmonės rekvizitais. Praneškite, jei reikėtų ką nors pataisyti."),  # noqa: E501
    }),
    S("Night desk", "in_stay", "incident", "high", ("noise", "neighbours"), {
        "en": ("Noise from the flat upstairs", "There is loud music from the flat above us and it is past midnight. We cannot sleep.", "Thank you for telling us. Our night manager has spoken to the neighbours and the music has stopped. Sorry for the disturbance."),  # noqa: E501
        "es": ("Ruido del piso de arriba", "Hay música muy alta en el piso de arriba y ya es más de medianoche. No podemos dormir.", "Gracias por avisarnos. Nuestro responsable de noche ha hablado con los vecinos y la música ha parado. Disculpad las molestias."),  # noqa: E501
        "lt": ("Triukšmas iš viršutinio buto", "Iš buto virš mūsų sklinda garsi muzika, jau po vidurnakčio. Negalime užmigti.", "Ačiū, kad pranešėte. Naktinis administratorius pakalbėjo su kaimynais ir muzika nutilo. Atsiprašome už nepatogumus."),  # noqa: E501
    }),
    S("Guest support", "pre_booking", "question", "low", ("pets",), {
        "en": ("Can we bring our dog?", "We would like to book the sea-view apartment for a week in August. Are dogs allowed?", "Small and medium dogs are welcome in that apartment for a €40 cleaning fee per stay. You can add the pet when you book."),  # noqa: E501
        "es": ("¿Se admiten perros?", "Queremos reservar el apartamento con vistas al mar una semana en agosto. ¿Se admiten perros?", "Los perros pequeños y medianos son bienvenidos en ese apartamento con un suplemento de limpieza de 40 € por estancia. Podéis añadir la mascota al reservar."),  # noqa: E501
        "lt": ("Ar galima atvykti su šunimi?", "Norėtume rugpjūtį savaitei užsisakyti butą su vaizdu į jūrą. Ar leidžiami šunys?", "Maži ir vidutiniai šunys šiame bute laukiami, papildomas valymo mokestis – 40 € už viešnagę. Augintinį galite nurodyti užsakydami."),  # noqa: E501
    }),
    S("Guest support", "pre_booking", "question", "normal", ("group-booking",), {
        "en": ("Availability for a group in July", "We are six adults looking for two apartments close to each other from 10 to 17 July. Do you have anything, and is there a discount for a week?", "Yes: the two loft apartments on the same floor are free on those dates, and stays of seven nights get 10% off. I can hold them for 24 hours while you decide."),  # noqa: E501
        "es": ("Disponibilidad para un grupo en julio", "Somos seis adultos y buscamos dos apartamentos cerca el uno del otro del 10 al 17 de julio. ¿Tenéis algo? ¿Hay descuento por semana?", "Sí: los dos lofts de la misma planta están libres esas fechas y las estancias de siete noches tienen un 10 % de descuento. Puedo reservároslos 24 horas mientras decidís."),  # noqa: E501
        "lt": ("Laisvi butai grupei liepą", "Esame šeši suaugusieji ir ieškome dviejų greta esančių butų liepos 10–17 d. Ar turite ką nors? Ar taikoma nuolaida savaitei?", "Taip: du palėpės butai tame pačiame aukšte tomis datomis laisvi, o septynių naktų viešnagėms taikoma 10 % nuolaida. Galiu juos jums rezervuoti 24 valandoms, kol apsispręsite."),  # noqa: E501
    }),
    S("Guest support", "post_booking", "task", "normal", ("change-dates",), {
        "en": ("Change the dates of my reservation", "Can I move my booking from 12–15 May to 19–22 May? The same apartment if possible.", "Good news: the apartment is free on 19–22 May and I have moved your reservation at no extra cost. You will receive a new confirmation."),  # noqa: E501
        "es": ("Cambiar las fechas de mi reserva", "¿Puedo cambiar mi reserva del 12–15 de mayo al 19–22 de mayo? El mismo apartamento si es posible.", "Buenas noticias: el apartamento está libre del 19 al 22 de mayo y he cambiado la reserva sin coste. Recibirás una nueva confirmación."),  # noqa: E501
        "lt": ("Pakeisti užsakymo datas", "Ar galiu perkelti užsakymą iš gegužės 12–15 d. į gegužės 19–22 d.? Jei įmanoma, tą patį butą.", "Geros žinios: butas gegužės 19–22 d. laisvas, užsakymą perkėliau be papildomo mokesčio. Gausite naują patvirtinimą."),  # noqa: E501
    }),
    S("Guest support", "post_stay", "task", "low", ("lost-and-found",), {
        "en": ("Left my charger in the apartment", "I think I left my laptop charger plugged in next to the bed. Could you post it to me?", "Our cleaner found it. We can post it for €12 by tracked mail; please confirm your postal address."),  # noqa: E501
        "es": ("Me dejé el cargador en el apartamento", "Creo que me dejé el cargador del portátil enchufado junto a la cama. ¿Me lo podéis enviar?", "Nuestra limpiadora lo ha encontrado. Podemos enviarlo por correo certificado por 12 €; confírmanos tu dirección postal."),  # noqa: E501
        "lt": ("Palikau įkroviklį bute", "Atrodo, palikau nešiojamojo kompiuterio įkroviklį prie lovos. Ar galėtumėte jį atsiųsti?", "Valytoja jį rado. Galime išsiųsti registruotu paštu už 12 €; patvirtinkite savo pašto adresą."),  # noqa: E501
    }),
]

FOLLOW_UPS = {
    "en": ["Thanks, but I still need an answer on this, please.", "Any news? We arrive soon.", "Sorry, one more question: is the cot still available?"],  # noqa: E501
    "es": ["Gracias, pero sigo necesitando una respuesta, por favor.", "¿Alguna novedad? Llegamos pronto.", "Perdón, una pregunta más: ¿sigue disponible la cuna?"],  # noqa: E501
    "lt": ["Ačiū, bet man vis dar reikia atsakymo.", "Ar yra naujienų? Netrukus atvykstame.", "Atsiprašau, dar vienas klausimas: ar vaikiška lovelė vis dar laisva?"],  # noqa: E501
}
# fmt: on
THANKS = {
    "en": ["Thank you, that worked!", "Perfect, thanks for the quick help.", "All sorted, thank you."],
    "es": ["¡Gracias, ha funcionado!", "Perfecto, gracias por la ayuda tan rápida.", "Todo solucionado, gracias."],
    "lt": ["Ačiū, pavyko!", "Puiku, ačiū už greitą pagalbą.", "Viskas sutvarkyta, ačiū."],
}
CLOSING_REPLY = {
    "en": "Glad it is sorted. I am closing this ticket; just reply if anything else comes up.",
    "es": "Me alegro de que esté resuelto. Cierro el ticket; responde si necesitas algo más.",
    "lt": "Džiaugiamės, kad viskas sutvarkyta. Uždarome užklausą – parašykite, jei dar ko prireiktų.",
}
NOTES = [
    "Called the guest back, no answer. Will try again in an hour.",
    "Checked the PMS: booking confirmed, payment captured.",
    "Owner prefers a phone call to e-mail for anything urgent.",
    "Maintenance booked for tomorrow at 10:00; the guest agreed.",
    "Same guest wrote last month about the same apartment, see their other tickets.",
    "Asked housekeeping to double-check the apartment before the next arrival.",
    "Revisado en el PMS: la reserva está confirmada.",
    "Patikrinau sistemoje: užsakymas patvirtintas, mokėjimas gautas.",
]
HOUSEKEEPING_NOTES = [
    "Housekeeping: apartment inspected, everything in order.",
    "Housekeeping: spare keys left at the front desk.",
    "Valymas: butas sutvarkytas, rankšluosčiai pakeisti.",
]
MANAGER_REASONS = [
    "The guest asks for compensation above my limit.",
    "Refund over €200 needs a supervisor's approval.",
    "The owner threatens to move the listing elsewhere; please call them.",
    "The bank opened a chargeback for this booking.",
]
TEAM_ESCALATIONS = [
    "Looks like a bug in the channel manager; Tier 2 please investigate.",
    "Needs access to the payment provider's dashboard.",
]
EXTRA_TAGS = ["vip", "repeat-guest", "long-stay", "group-booking"]

GUEST_CHANNELS = [
    (Channel.EMAIL, 24),
    (Channel.AIRBNB, 16),
    (Channel.BOOKING_COM, 14),
    (Channel.WHATSAPP, 14),
    (Channel.CHAT, 12),
    (Channel.PHONE, 8),
    (Channel.SMS, 6),
    (Channel.WEB, 6),
]
OWNER_CHANNELS = [(Channel.EMAIL, 60), (Channel.PHONE, 25), (Channel.WEB, 15)]
BOOKING_CHANNELS = [
    (BookingChannel.AIRBNB, 40),
    (BookingChannel.BOOKING_COM, 30),
    (BookingChannel.DIRECT, 20),
    (BookingChannel.VRBO, 10),
]
# Final status -> (share of tickets, youngest and oldest age in hours). Old tickets are closed.
STATUS_PLAN = [
    (Status.NEW, 10, (0.1, 36)),
    (Status.OPEN, 15, (1, 6 * 24)),
    (Status.PENDING, 10, (1, 10 * 24)),
    (Status.ON_HOLD, 5, (24, 20 * 24)),
    (Status.SOLVED, 15, (2, 4 * 24)),
    (Status.CLOSED, 45, (6 * 24, 60 * 24)),
]
CLOSE_AFTER = timedelta(days=4)
# How long, on average, between two steps of a conversation on each channel.
REPLY_GAP: dict[str, timedelta] = {
    Channel.PHONE: timedelta(minutes=4),
    Channel.CHAT: timedelta(minutes=8),
    Channel.WHATSAPP: timedelta(minutes=40),
    Channel.SMS: timedelta(minutes=50),
    Channel.AIRBNB: timedelta(hours=2),
    Channel.BOOKING_COM: timedelta(hours=2),
    Channel.EMAIL: timedelta(hours=5),
    Channel.WEB: timedelta(hours=5),
}


@dataclass(frozen=True)
class DemoLoad:
    admin_email: str
    admin_password: str
    tickets: int


def demo_load_if_empty(
    *,
    out: TextIO,
    tickets: int = 300,
    seed: int = 2026,
    now: datetime | None = None,
    url: str = "http://127.0.0.1:8000/",
) -> DemoLoad | None:
    """Load the demo into a database without agents; leave any other database alone."""
    if User.objects.exists():
        out.write("Demo data not loaded: this database already has agents.\n")
        return None
    loaded = demo_load(tickets=tickets, seed=seed, now=now or timezone.now())
    out.write(
        f"Demo data loaded: {len(AGENTS)} agents, {len(TEAMS)} teams, {len(ORGANISATIONS)} organisations, "
        f"{Contact.objects.filter(merged_into=None).count()} contacts, {loaded.tickets} tickets.\n"
        f"Sign in at {url} as {loaded.admin_email} with password {loaded.admin_password}\n"
        f"Every demo agent (e.g. lucia@{DOMAIN}, isabel@{DOMAIN}) has the same password; it is shown only now.\n"
    )
    out.flush()
    return loaded


@transaction.atomic
def demo_load(*, tickets: int, seed: int, now: datetime) -> DemoLoad:
    rng = random.Random(seed)
    password = secrets.token_urlsafe(12)
    agents = _load_agents(password)
    teams = {
        name: team_create(name=name, lead=agents[lead], members=[agents[m] for m in members])
        for name, lead, members in TEAMS
    }
    organisations = [
        organisation_create(name=name, domain=domain, region=region, owner=agents[rng.choice(["ruta", "marta"])])
        for name, domain, region, _ in ORGANISATIONS
    ]
    owners, guests = _load_contacts(rng, organisations)
    _load_routing(agents, teams, now)
    # Outcomes and shifts draw from their own sequence, so the tickets stay as they were without them.
    productivity = random.Random(f"{seed}:productivity")
    builder = _TicketBuilder(
        rng=rng, outcomes=productivity, agents=agents, teams=teams, owners=owners, guests=guests, now=now
    )
    for plan in sorted((builder.plan() for _ in range(tickets)), key=lambda plan: plan.created_at):
        builder.run(plan)
    _merge_duplicate_contacts(rng, guests, agents["isabel"], now)
    _load_shifts(productivity, agents, now)
    _load_sla(agents["admin"], teams, organisations, now)
    _load_surveys(random.Random(f"{seed}:surveys"), agents["admin"], teams, organisations, now)
    return DemoLoad(admin_email=ADMIN_EMAIL, admin_password=password, tickets=tickets)


def _load_routing(agents: dict[str, User], teams: dict[str, Team], now: datetime) -> None:
    admin = agents["admin"]
    for local, profile in ROUTING.items():
        fields = {**profile, "teams": [teams[name] for name in profile.get("teams", [])]}
        routing_profile_update(agent=agents[local], actor=admin, now=now, **fields)
    for local, _name, role, _language in AGENTS:
        if role in (Role.ADMIN, Role.SUPERVISOR):
            routing_profile_update(agent=agents[local], actor=admin, now=now, auto_assign=False)


# SLA policies as a rentals support team would set them (minutes: first response, next response,
# resolution), loose enough for the demo's pace of replies (REPLY_GAP) that most are met. Guests on
# chat, phone and messaging apps expect an answer within the hour around the clock, guests on booking
# platforms within hours; owners with a premium contract get a 24/7 desk; e-mail and web get office hours.
SLA_PREMIUM = {"urgent": (30, 60, 480), "high": (60, 120, 1440), "normal": (120, 240, 2880), "low": (240, 480, 4320)}
SLA_LIVE = {"urgent": (10, 15, 240), "high": (20, 30, 480), "normal": (60, 90, 1440), "low": (120, 180, 2880)}
SLA_PLATFORMS = {
    "urgent": (60, 120, 480),
    "high": (120, 240, 1440),
    "normal": (240, 480, 2880),
    "low": (480, 960, 4320),
}
SLA_STANDARD = {
    "urgent": (120, 240, 960),
    "high": (240, 480, 1920),
    "normal": (480, 960, 2880),
    "low": (960, 1440, 4800),
}
LIVE_CHANNELS = [Channel.CHAT, Channel.PHONE, Channel.WHATSAPP, Channel.SMS]
PLATFORM_CHANNELS = [Channel.AIRBNB, Channel.BOOKING_COM]
MADRID_HOURS = {**{str(day): [["09:00", "19:00"]] for day in range(5)}, "5": [["10:00", "14:00"]]}
SPANISH_HOLIDAYS = [
    ("Inmaculada Concepción", date(2026, 12, 8)),
    ("Navidad", date(2026, 12, 25)),
    ("Año Nuevo", date(2027, 1, 1)),
    ("Epifanía del Señor", date(2027, 1, 6)),
    ("Viernes Santo", date(2027, 3, 26)),
    ("Fiesta del Trabajo", date(2027, 5, 1)),
]


def _load_sla(admin: User, teams: dict[str, Team], organisations: list[Organisation], now: datetime) -> None:
    """Calendars, four policies and premium contracts. They apply from `now`: the demo's history gets
    its clocks (the reports show attainment) and alarms about the past are recorded without notifying."""

    def targets(table: dict[str, tuple[int, int, int]]) -> list[TargetInput]:
        return [TargetInput(priority, *minutes) for priority, minutes in table.items()]

    office = calendar_save(
        name="Madrid office", time_zone="Europe/Madrid", always_open=False, hours=MADRID_HOURS, actor=admin, now=now
    )
    for name, day in SPANISH_HOLIDAYS:
        holiday_add(calendar=office, name=name, first_day=day, actor=admin, now=now)
    always = calendar_save(name="24/7", time_zone="UTC", always_open=True, hours={}, actor=admin, now=now)
    premium = policy_save(
        name="Premium contract",
        position=5,  # after the catch-all "Standard": it applies through contracts only
        calendar=always,
        targets=targets(SLA_PREMIUM),
        breach_raise_priority=True,
        breach_notify_supervisors=True,
        actor=admin,
        now=now,
    )
    policy_save(
        name="Live channels",
        position=2,
        calendar=always,
        channels=LIVE_CHANNELS,
        targets=targets(SLA_LIVE),
        breach_team=teams["Night desk"],
        actor=admin,
        now=now,
    )
    policy_save(
        name="Booking platforms",
        position=3,
        calendar=always,
        channels=PLATFORM_CHANNELS,
        targets=targets(SLA_PLATFORMS),
        actor=admin,
        now=now,
    )
    policy_save(name="Standard", position=4, calendar=office, targets=targets(SLA_STANDARD), actor=admin, now=now)
    for organisation in organisations[:3]:
        contract_save(
            organisation=organisation,
            name=f"{organisation.name} — Premium support",
            policy=premium,
            starts_on=(now - timedelta(days=365)).date(),
            actor=admin,
            now=now,
        )


# Survey comments by language, each with the CSAT it comes with.
SURVEY_COMMENTS = {
    "en": [
        (5, "Emma answered within minutes and fixed the booking. Great service!"),
        (5, "Very friendly staff, the check-in instructions were clear."),
        (4, "Good help, but it would be nice if you could add the door code to the booking e-mail."),
        (2, "The answer was just a link to the help centre, I needed someone to explain it."),
        (1, "Slow check-in and nobody answered the phone at night. Lack of information."),
        (2, "It took three days to get a reply about my refund."),
    ],
    "es": [
        (5, "Muy amables, resolvieron el problema enseguida. ¡Gracias!"),
        (4, "Buena atención, aunque sería útil poder cambiar la fecha desde la web."),
        (2, "Solo me enviaron un enlace al centro de ayuda, necesitaba una explicación."),
        (1, "El check-in fue muy lento y nadie nos dio información sobre las llaves."),
        (2, "Tardaron mucho en responder sobre el reembolso."),
    ],
    "lt": [
        (5, "Labai malonus aptarnavimas, viskas išspręsta greitai. Ačiū!"),
        (4, "Gera pagalba, bet būtų gerai, jei galėtume keisti datas internetu."),
        (2, "Atsakymas buvo tik nuoroda į pagalbos centrą, trūko paaiškinimo."),
        (1, "Registracija buvo labai lėta ir niekas nesuteikė informacijos."),
    ],
}


def _load_surveys(
    rng: random.Random, admin: User, teams: dict[str, Team], organisations: list[Organisation], now: datetime
) -> None:
    """A survey programme with history: the after-ticket survey answered by about a third of the
    customers of solved tickets (some unhappy, so follow-ups are open), a survey after calls and a
    quarterly relationship survey for the key accounts; the public CSAT badge is on."""
    programme_update(actor=admin, throttle_days=30, public_score=True, now=now)
    for organisation in organisations[:3]:
        organisation.key_account = True
        organisation.save(update_fields=["key_account"])
    after_ticket = survey_save(
        actor=admin,
        now=now,
        name="After a solved ticket",
        trigger=Trigger.TICKET_SOLVED,
        channels=[c for c in Channel.values if c != Channel.PHONE],
        delay_minutes=24 * 60,
        followup_team=teams["Owner support"],
        questions=[
            QuestionInput(kind="csat"),
            QuestionInput(kind="yes_no", topic=Topic.SOLVED),
            QuestionInput(kind="comment"),
        ],
    )
    survey_save(
        actor=admin,
        now=now,
        name="After a call",
        trigger=Trigger.CALL_LOGGED,
        delay_minutes=60,
        questions=[QuestionInput(kind="ces"), QuestionInput(kind="comment")],
    )
    survey_save(
        actor=admin,
        now=now,
        name="Quarterly partner survey",
        kind=SurveyKind.RELATIONSHIP,
        organisations=organisations[:6],
        contacts_per_organisation=3,
        next_round_at=now + timedelta(days=14),
        questions=[
            QuestionInput(kind="nps"),
            *(
                QuestionInput(kind="csat", topic=topic)
                for topic in (Topic.RESPONSE_TIME, Topic.REPRESENTATIVE, Topic.EASE)
            ),
            QuestionInput(kind="comment"),
        ],
    )
    _load_survey_history(rng, after_ticket, admin, now)


def _load_survey_history(rng: random.Random, survey: Survey, admin: User, now: datetime) -> None:
    """Every solved ticket gets its invitation, as the sweep would have left it (sent, throttled
    by the programme's days, or still waiting for its delay), so that the event handlers find
    nothing left to schedule. Marked sent without sending: the demo has no mailbox."""
    questions = {q.kind: q for q in survey.questions.all()}
    throttle_days = programme().throttle_days
    solved = Ticket.objects.filter(solved_at__isnull=False).select_related("requester").order_by("solved_at")
    for ticket in solved.exclude(channel=Channel.PHONE):
        assert ticket.solved_at is not None
        invitation = invitation_schedule(survey=survey, contact=ticket.requester, ticket=ticket, now=ticket.solved_at)
        if invitation is None or invitation.send_at > now:
            continue
        if surveyed_within(contact_id=invitation.contact_id, now=invitation.send_at, days=throttle_days):
            invitation.status = InvitationStatus.THROTTLED
            invitation.reason = f"Surveyed within {throttle_days} days."
            invitation.save(update_fields=["status", "reason"])
            continue
        invitation.status, invitation.sent_at = InvitationStatus.SENT, invitation.send_at
        invitation.to_address = f"guest{ticket.requester_id}@demo"
        invitation.save(update_fields=["status", "sent_at", "to_address"])
        if rng.random() > 0.35:
            continue
        language = language_for(ticket.requester, ticket)
        score, comment = rng.choice(SURVEY_COMMENTS.get(language, SURVEY_COMMENTS["en"]))
        if rng.random() < 0.5:
            score, comment = rng.choice([5, 5, 4, 4, 3]), ""
        answered = min(now, invitation.send_at + timedelta(hours=rng.uniform(1, 48)))
        answers: dict[int, tuple[int | None, str]] = {
            questions["csat"].pk: (score, ""),
            questions["yes_no"].pk: (1 if score >= 3 else 0, ""),
        }
        if comment:
            answers[questions["comment"].pk] = (None, comment)
        answers_record(invitation=invitation, answers=answers, now=answered)
    # The past is handled: older follow-ups were closed by their owners, and nobody is e-mailed
    # about the demo's history (its notifications stay, read).
    for follow_up in FollowUp.objects.filter(created_at__lt=now - timedelta(days=5)).select_related("owner"):
        followup_close(
            follow_up=follow_up,
            actor=follow_up.owner or admin,
            action_plan="Called the customer, apologised and explained what went wrong.",
            outcome="The customer accepted a discount on their next stay.",
            now=follow_up.due_at,
        )
    StaffEmail.objects.filter(key__startswith="follow-up:").delete()
    Notification.objects.filter(kind="survey.follow_up", created_at__lt=now - timedelta(days=5)).update(read_at=now)


def _load_shifts(rng: random.Random, agents: dict[str, User], now: datetime, days: int = 60) -> None:
    """The agents' past work: five days a week an eight-hour shift (timer started, stopped) with a few
    paused stretches of intake. History rows written at once (the timer services would publish a state
    change for each); nobody is on shift when the demo starts, and today's shifts stop at `now`."""
    first = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    intervals = []
    for number, local in enumerate(ROUTING):
        agent = agents[local]
        for day in range(days + 1):
            midnight = first + timedelta(days=day)
            if midnight.weekday() in {number % 7, (number + 2) % 7}:
                continue  # two days off a week
            start = midnight + timedelta(hours=SHIFT_START.get(local, 7) + 2 * rng.random())
            if start >= now:
                continue
            end = min(start + timedelta(hours=8, minutes=rng.uniform(-20, 40)), now)
            intervals.append(WorkInterval(agent=agent, kind=IntervalKind.SHIFT, started_at=start, ended_at=end))
            paused = start
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                paused += timedelta(minutes=rng.uniform(40, 150))
                resumed = paused + timedelta(minutes=rng.uniform(5, 35))
                if resumed >= end:
                    break
                intervals.append(
                    WorkInterval(agent=agent, kind=IntervalKind.PAUSED, started_at=paused, ended_at=resumed)
                )
                paused = resumed
    WorkInterval.objects.bulk_create(intervals)


def _load_agents(password: str) -> dict[str, User]:
    agents = {
        local: user_create(
            email=f"{local}@{DOMAIN}",
            name=name,
            role=role,
            language=language,
            password=password if role == Role.ADMIN else None,
        )
        for local, name, role, language in AGENTS
    }
    # Hashing is slow on purpose, so the one hash is shared rather than computed per agent.
    User.objects.filter(email__endswith=f"@{DOMAIN}").update(password=agents["admin"].password)
    return agents


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _load_contacts(rng: random.Random, organisations: list[Organisation]) -> tuple[list[Contact], list[Contact]]:
    """Two owner contacts per organisation at its domain; guests with personal addresses, some with phones."""
    owners: list[Contact] = []
    for organisation, (_, domain, _, language) in zip(organisations, ORGANISATIONS, strict=True):
        for _ in range(2):
            first, last = rng.choice(FIRST_NAMES[language]), rng.choice(LAST_NAMES[language])
            owners.append(
                contact_create(
                    name=f"{first} {last}",
                    email=f"{_ascii(first)}.{_ascii(last)}.{len(owners)}@{domain}",
                    phone=_phone(rng, language) if rng.random() < 0.5 else "",
                    organisation=organisation,
                    language=language,
                )
            )
    guests: list[Contact] = []
    for number in range(110):
        language = rng.choice(CONTACT_LANGUAGES)
        first, last = rng.choice(FIRST_NAMES[language]), rng.choice(LAST_NAMES[language])
        with_phone = rng.random() < 0.4
        guests.append(
            contact_create(
                name=f"{first} {last}",
                email=f"{_ascii(first)}.{_ascii(last)}{number}@{rng.choice(GUEST_DOMAINS[language])}",
                phone=_phone(rng, language) if with_phone else "",
                chat_visitor=f"visitor-{rng.getrandbits(40):010x}" if rng.random() < 0.15 else "",
                language="" if language == "en" and rng.random() < 0.5 else language,
            )
        )
    return owners, guests


def _phone(rng: random.Random, language: str) -> str:
    return f"{PHONE_PREFIX[language]}{rng.randrange(10_000_000, 99_999_999)}"


def _merge_duplicate_contacts(rng: random.Random, guests: list[Contact], actor: User, now: datetime) -> None:
    """A guest who first phoned in under an unknown number, later merged into their real contact."""
    for guest in rng.sample(guests, 2):
        caller = contact_get_or_create(kind=IdentityKind.PHONE, value=_phone(rng, "en"), name=guest.name)
        contact_merge(source=caller, target=guest, actor=actor, now=now)


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


@dataclass(frozen=True)
class _Plan:
    scenario: Scenario
    status: str
    requester: Contact
    channel: str
    created_at: datetime
    assign: bool
    escalate_to_team: bool
    escalate_to_manager: bool
    extra_tags: tuple[str, ...]


@dataclass
class _TicketBuilder:
    """Plans a ticket's life (final status, times, who does what), then plays it through the services."""

    rng: random.Random
    outcomes: random.Random  # whether an inquiry was booked
    agents: dict[str, User]
    teams: dict[str, Team]
    owners: list[Contact]
    guests: list[Contact]
    now: datetime

    def plan(self) -> _Plan:
        rng = self.rng
        scenario = rng.choice(SCENARIOS)
        status, _, (youngest, oldest) = rng.choices(STATUS_PLAN, weights=[share for _, share, _ in STATUS_PLAN])[0]
        created_at = self.now - timedelta(hours=rng.uniform(youngest, oldest))
        is_owner = scenario.team == "Owner support"
        return _Plan(
            scenario=scenario,
            status=status,
            requester=rng.choice(self.owners if is_owner else self.guests),
            channel=_weighted(rng, OWNER_CHANNELS if is_owner else GUEST_CHANNELS),
            created_at=created_at,
            assign=status != Status.NEW and rng.random() < 0.8,
            escalate_to_team=status != Status.NEW and rng.random() < 0.08,
            escalate_to_manager=status != Status.NEW and rng.random() < 0.07,
            extra_tags=(rng.choice(EXTRA_TAGS),) if rng.random() < 0.15 else (),
        )

    def run(self, plan: _Plan) -> Ticket:
        rng, scenario = self.rng, plan.scenario
        language = plan.requester.language or "en"
        subject, body, reply = scenario.texts[language]
        team = self.teams[scenario.team]
        # A closed ticket was solved at least CLOSE_AFTER before now.
        end = self.now - (CLOSE_AFTER if plan.status == Status.CLOSED else timedelta(minutes=1))
        clock = _Clock(rng, start=plan.created_at, end=end, mean_gap=REPLY_GAP[plan.channel])
        ticket = ticket_create(
            subject=subject,
            requester=plan.requester,
            channel=plan.channel,
            body_text=body,
            priority=scenario.priority,
            type=scenario.type,
            team=team,
            tags=[*scenario.tags, *plan.extra_tags],
            language=language,
            booking_stage=scenario.booking_stage,
            booking_channel=self._booking_channel(plan),
            actor=None,
            now=clock.start,
        )
        if plan.status == Status.NEW:
            if rng.random() < 0.2:
                ticket_add_note(
                    ticket=ticket,
                    author=self.agents["dovile"],
                    body_text=rng.choice(HOUSEKEEPING_NOTES),
                    now=clock.next(),
                )
            return ticket
        if plan.escalate_to_team:
            first_line, team = self._member(team, ticket), self.teams["Tier 2"]
            ticket = ticket_escalate_to_team(
                ticket=ticket, actor=first_line, team=team, reason=rng.choice(TEAM_ESCALATIONS), now=clock.next()
            )
        agent = self._member(team, ticket)
        if plan.assign:
            ticket = ticket_update(ticket=ticket, actor=agent, assignee=agent, now=clock.next())
        if rng.random() < 0.35:
            ticket_add_note(ticket=ticket, author=agent, body_text=rng.choice(NOTES), now=clock.next())
        self._play_status(ticket, plan, agent, language, reply, clock)
        return ticket

    def _play_status(
        self, ticket: Ticket, plan: _Plan, agent: User, language: str, reply: str, clock: "_Clock"
    ) -> None:
        rng = self.rng
        if plan.status == Status.OPEN:
            ticket_reply(ticket=ticket, author=agent, body_text=reply, now=clock.next())
            if rng.random() < 0.6:
                ticket_add_customer_message(
                    ticket=ticket, contact=plan.requester, body_text=rng.choice(FOLLOW_UPS[language]), now=clock.next()
                )
        elif plan.status == Status.PENDING:
            ticket_reply(ticket=ticket, author=agent, body_text=reply, status=Status.PENDING, now=clock.next())
        elif plan.status == Status.ON_HOLD:
            ticket_reply(ticket=ticket, author=agent, body_text=reply, now=clock.next())
            ticket_add_note(
                ticket=ticket, author=agent, body_text="On hold until maintenance confirms a time.", now=clock.next()
            )
            ticket_update(ticket=ticket, actor=agent, status=Status.ON_HOLD, now=clock.next())
        else:  # solved or closed: a reply, the customer's thanks, a closing reply
            ticket_reply(ticket=ticket, author=agent, body_text=reply, status=Status.PENDING, now=clock.next())
            ticket_add_customer_message(
                ticket=ticket, contact=plan.requester, body_text=rng.choice(THANKS[language]), now=clock.next()
            )
            if plan.escalate_to_manager:
                self._escalate_and_resolve(ticket, agent, clock)
            if ticket.booking_stage == BookingStage.PRE_BOOKING:  # the inquiry ended: booked or not
                booked = self.outcomes.random() < BOOKED_SHARE
                outcome = Outcome.BOOKED if booked else Outcome.NOT_BOOKED
                ticket_update(ticket=ticket, actor=agent, outcome=outcome, now=clock.last)
            ticket_reply(
                ticket=ticket, author=agent, body_text=CLOSING_REPLY[language], status=Status.SOLVED, now=clock.next()
            )
            if plan.status == Status.CLOSED:
                ticket_update(ticket=ticket, actor=None, status=Status.CLOSED, now=clock.last + CLOSE_AFTER)
            return
        if plan.escalate_to_manager:  # an open question for a manager, visible in "Needs manager"
            ticket_escalate_to_manager(ticket=ticket, actor=agent, reason=rng.choice(MANAGER_REASONS), now=clock.next())

    def _escalate_and_resolve(self, ticket: Ticket, agent: User, clock: "_Clock") -> None:
        ticket_escalate_to_manager(
            ticket=ticket, actor=agent, reason=self.rng.choice(MANAGER_REASONS), now=clock.next()
        )
        manager = self.agents[self.rng.choice(["isabel", "mantas"])]
        ticket_resolve_escalation(ticket=ticket, actor=manager, note="Approved, go ahead.", now=clock.next())

    def _member(self, team: Team, ticket: Ticket) -> User:
        """An agent of the team who may be assigned tickets (not the light agent), one whose routing
        profile takes the ticket when there is one."""
        members = next(members for name, _, members in TEAMS if name == team.name)
        members = [m for m in members if self.agents[m].role != Role.LIGHT_AGENT]
        fitting = [m for m in members if _takes(ROUTING.get(m, {}), ticket, team)]
        return self.agents[self.rng.choice(fitting or members)]

    def _booking_channel(self, plan: _Plan) -> str:
        if not plan.scenario.booking_stage:
            return ""
        if plan.channel in (Channel.AIRBNB, Channel.BOOKING_COM):
            return plan.channel
        return _weighted(self.rng, BOOKING_CHANNELS)


def _takes(profile: dict[str, Any], ticket: Ticket, team: Team) -> bool:
    """Whether a routing profile of ROUTING lets its agent receive the ticket (empty means any)."""
    values = {
        "teams": team.name,
        "booking_stages": ticket.booking_stage,
        "booking_channels": ticket.booking_channel,
        "languages": ticket.language,
        "priorities": ticket.priority,
    }
    return all(not profile.get(key) or value in profile[key] for key, value in values.items())


class _Clock:
    """Hands out increasing times for a ticket's steps: random gaps of the channel's pace, never past `end`."""

    def __init__(self, rng: random.Random, *, start: datetime, end: datetime, mean_gap: timedelta) -> None:
        self.start = self.last = start
        self._rng, self._end, self._mean_gap = rng, end, mean_gap

    def next(self) -> datetime:
        gap = self._mean_gap * self._rng.expovariate(1.0)
        self.last += gap if self.last + gap < self._end else (self._end - self.last) / 2
        return self.last
