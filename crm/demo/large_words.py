"""Words the large data set is composed from (English and Persian side by side)."""

# English, Persian, country, time zone
PLACES = [
    ("Ankara", "آنکارا", "TR", "Europe/Istanbul"), ("Izmir", "ازمیر", "TR", "Europe/Istanbul"),
    ("Bursa", "بورسا", "TR", "Europe/Istanbul"), ("Kazan", "کازان", "RU", "Europe/Moscow"),
    ("Saint Petersburg", "سن‌پترزبورگ", "RU", "Europe/Moscow"),
    ("Shanghai", "شانگهای", "CN", "Asia/Shanghai"), ("Xi'an", "شیان", "CN", "Asia/Shanghai"),
    ("Guangzhou", "گوانگژو", "CN", "Asia/Shanghai"), ("Busan", "بوسان", "KR", "Asia/Seoul"),
    ("Incheon", "اینچئون", "KR", "Asia/Seoul"), ("Penang", "پنانگ", "MY", "Asia/Kuala_Lumpur"),
    ("Basra", "بصره", "IQ", "Asia/Baghdad"), ("Najaf", "نجف", "IQ", "Asia/Baghdad"),
    ("Herat", "هرات", "AF", "Asia/Kabul"), ("Mazar-i-Sharif", "مزارشریف", "AF", "Asia/Kabul"),
    ("Khujand", "خجند", "TJ", "Asia/Dushanbe"), ("Gyumri", "گیومری", "AM", "Asia/Yerevan"),
    ("Tbilisi", "تفلیس", "GE", "Asia/Tbilisi"), ("Baku", "باکو", "AZ", "Asia/Baku"),
    ("Almaty", "آلماتی", "KZ", "Asia/Almaty"), ("Tashkent", "تاشکند", "UZ", "Asia/Tashkent"),
    ("Samarkand", "سمرقند", "UZ", "Asia/Samarkand"),
    ("Ashgabat", "عشق‌آباد", "TM", "Asia/Ashgabat"), ("Lahore", "لاهور", "PK", "Asia/Karachi"),
    ("Karachi", "کراچی", "PK", "Asia/Karachi"), ("Mumbai", "بمبئی", "IN", "Asia/Kolkata"),
    ("Delhi", "دهلی", "IN", "Asia/Kolkata"), ("Doha", "دوحه", "QA", "Asia/Qatar"),
    ("Muscat", "مسقط", "OM", "Asia/Muscat"), ("Beirut", "بیروت", "LB", "Asia/Beirut"),
    ("Damascus", "دمشق", "SY", "Asia/Damascus"), ("Cairo", "قاهره", "EG", "Africa/Cairo"),
    ("Algiers", "الجزیره", "DZ", "Africa/Algiers"), ("Nairobi", "نایروبی", "KE", "Africa/Nairobi"),
    ("Cape Town", "کیپ‌تاون", "ZA", "Africa/Johannesburg"),
    ("Minsk", "مینسک", "BY", "Europe/Minsk"), ("Belgrade", "بلگراد", "RS", "Europe/Belgrade"),
    ("Vienna", "وین", "AT", "Europe/Vienna"), ("Barcelona", "بارسلونا", "ES", "Europe/Madrid"),
    ("Florence", "فلورانس", "IT", "Europe/Rome"), ("Hamburg", "هامبورگ", "DE", "Europe/Berlin"),
    ("La Paz", "لاپاز", "BO", "America/La_Paz"), ("Managua", "ماناگوا", "NI", "America/Managua"),
    ("Jakarta", "جاکارتا", "ID", "Asia/Jakarta"), ("Hanoi", "هانوی", "VN", "Asia/Ho_Chi_Minh"),
]

# partner kind → (English word, Persian word)
KIND_WORDS = {
    "city": ("Municipality", "شهرداری"),
    "organization": ("Urban Cooperation Network", "شبکه همکاری شهری"),
    "company": ("Engineering Company", "شرکت مهندسی"),
    "group": ("Residents' Association", "انجمن ساکنان"),
}

FIRST_NAMES = [
    ("Ali", "علی"), ("Fatemeh", "فاطمه"), ("Mehmet", "محمد"), ("Elif", "الیف"),
    ("Ivan", "ایوان"), ("Olga", "اولگا"), ("Wei", "وی"), ("Mei", "مِی"), ("Ji-ho", "جی‌هو"),
    ("Nur", "نور"), ("Hassan", "حسن"), ("Zahra", "زهرا"), ("Rustam", "رستم"),
    ("Gohar", "گوهر"), ("Carlos", "کارلوس"), ("Lucia", "لوسیا"), ("Thabo", "تابو"),
    ("Amina", "آمنه"), ("Pierre", "پیر"), ("Sofia", "سوفیا"),
]
LAST_NAMES = [
    ("Yilmaz", "ییلماز"), ("Ivanov", "ایوانف"), ("Chen", "چن"), ("Kim", "کیم"),
    ("Rahman", "رحمان"), ("Hosseini", "حسینی"), ("Karimov", "کریمف"), ("Sargsyan", "سرکیسیان"),
    ("Garcia", "گارسیا"), ("Dlamini", "دلامینی"), ("Haddad", "حداد"), ("Nazari", "نظری"),
    ("Petrov", "پتروف"), ("Wang", "وانگ"), ("Park", "پارک"), ("Ahmadi", "احمدی"),
]

# type, English title start, Persian title start (" with <partner>" is added)
AGREEMENT_TITLES = [
    ("sister_city", "Sister-city agreement", "پیمان خواهرخواندگی"),
    ("friendship", "Friendship agreement", "پیمان دوستی"),
    ("memorandum", "Memorandum on urban cooperation", "تفاهم‌نامه همکاری شهری"),
    ("memorandum", "Memorandum on smart-city projects", "تفاهم‌نامه پروژه‌های شهر هوشمند"),
    ("letter_of_intent", "Letter of intent on tourism", "نامه قصد همکاری گردشگری"),
    ("protocol", "Cultural protocol", "پروتکل فرهنگی"),
    ("membership", "Membership", "عضویت"),
    ("contract", "Consulting contract", "قرارداد مشاوره"),
]

# activity kind → (English subject, Persian subject) with {name}
ACTIVITY_SUBJECTS = {
    "meeting": ("Meeting with {name}", "جلسه با {name}"),
    "call": ("Call with {name}", "تماس تلفنی با {name}"),
    "email": ("Email to {name}", "ایمیل به {name}"),
    "letter": ("Official letter to {name}", "نامه رسمی به {name}"),
    "visit_incoming": ("Delegation from {name}", "بازدید هیئت {name} از تهران"),
    "visit_outgoing": ("Visit to {name}", "سفر هیئت تهران به {name}"),
    "event": ("Joint event with {name}", "رویداد مشترک با {name}"),
    "task": ("Prepare the file on {name}", "تهیه پرونده {name}"),
}

OUTCOMES = [
    "گزارش جلسه تهیه و برای معاونت ارسال شد.",
    "طرف مقابل پیش‌نویس را بررسی می‌کند.",
    "توافق شد کارگروه مشترک تشکیل شود.",
    "Minutes shared with both sides.",
    "Follow-up meeting to be scheduled.",
]
